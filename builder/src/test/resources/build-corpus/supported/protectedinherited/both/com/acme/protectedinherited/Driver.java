package com.acme.protectedinherited;

/**
 * The changed method uses what its class inherits from a superclass in another package: a
 * protected method and a protected field (as subclasses of framework classes do).
 */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"a", "bb"};
    }

    public static String run(String input) {
        return new Handler().handle(input);
    }
}
