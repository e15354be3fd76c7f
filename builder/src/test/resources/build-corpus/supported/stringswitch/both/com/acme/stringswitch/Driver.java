package com.acme.stringswitch;

/** A string switch: new cases, a changed case, a default that throws, and two labels with one hash code. */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"start", "stop", "restart", "status", "Aa", "BB", "C#", "nope", ""};
    }

    public static String run(String input) {
        return new Commands().dispatch(input);
    }
}
