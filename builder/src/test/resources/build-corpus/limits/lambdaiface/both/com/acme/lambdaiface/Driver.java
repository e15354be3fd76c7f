package com.acme.lambdaiface;

/** A new lambda and a method reference whose functional interface is package-private (not public). */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"abc", "hello world", ""};
    }

    public static String run(String input) {
        return new Shouter("!").shout(input);
    }
}
