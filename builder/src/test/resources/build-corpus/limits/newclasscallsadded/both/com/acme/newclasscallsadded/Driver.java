package com.acme.newclasscallsadded;

/** The new build's new class calls a method the new build adds to a running class. */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"ada", "grace"};
    }

    public static String run(String input) {
        return new Host().greet(input);
    }
}
