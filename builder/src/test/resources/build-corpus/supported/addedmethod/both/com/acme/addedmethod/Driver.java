package com.acme.addedmethod;

/** The changed method calls methods only the new build has: static and instance, one calling the other. */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"ada", "GRACE hopper", "x", "", "  "};
    }

    public static String run(String input) {
        return new Greeter(2).greet(input) + " | " + new Greeter(0).greet(input);
    }
}
