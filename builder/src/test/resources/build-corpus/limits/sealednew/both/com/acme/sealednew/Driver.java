package com.acme.sealednew;

/** The new build permits one more subclass of a sealed class, and the changed code makes one. */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"1", "2"};
    }

    public static String run(String input) {
        return Shapes.make(Integer.parseInt(input)).name();
    }
}
