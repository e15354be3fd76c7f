package com.acme.overriddenadded;

/** The new build's Shape adds label(), which Circle (the same in both builds) declared already: Circle's must run. */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"shape", "circle"};
    }

    public static String run(String input) {
        Shape s = input.equals("circle") ? new Circle() : new Shape();
        return s.describe();
    }
}
