package com.acme.interfacedefault;

/**
 * A changed default method of an interface, which calls the interface's abstract methods, a
 * private interface method both builds have, a changed static one, a private static one the new
 * build adds, and a lambda capturing this (the body of which is a private method of the
 * interface); Circle's override calls it as Shape.super.describe().
 */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"square 2", "square 1.5", "circle 1", "circle 0.1", "square -1"};
    }

    public static String run(String input) {
        String[] p = input.split(" ");
        double size = Double.parseDouble(p[1]);
        Shape s = p[0].equals("square") ? new Square(size) : new Circle(size);
        return s.describe();
    }
}
