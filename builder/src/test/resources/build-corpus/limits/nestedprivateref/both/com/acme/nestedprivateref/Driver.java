package com.acme.nestedprivateref;

/** The new build's nested class takes a method reference to a private method of its host. */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"tea", "cups"};
    }

    public static String run(String input) {
        return new Box(input).describe();
    }
}
