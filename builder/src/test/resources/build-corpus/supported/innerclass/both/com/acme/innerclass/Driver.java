package com.acme.innerclass;

/**
 * Changed methods of an inner class and of an anonymous class, reading and writing the outer
 * class's private fields and calling its private method (nestmates since Java 11).
 */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"1", "2", "5", "-1"};
    }

    public static String run(String input) {
        Library lib = new Library("lib");
        int n = Integer.parseInt(input);
        Library.Shelf shelf = lib.new Shelf();
        return shelf.add(n) + " " + lib.report().get();
    }
}
