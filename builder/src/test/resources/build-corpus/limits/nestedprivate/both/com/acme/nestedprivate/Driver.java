package com.acme.nestedprivate;

/** The changed method uses a private nested class only the new build has. */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"3", "0", "-1"};
    }

    public static String run(String input) {
        return new Box(Integer.parseInt(input)).describe();
    }
}
