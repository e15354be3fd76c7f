package com.acme.enumswitch;

/** The new code switches on an enum, for which javac adds a class (Router$1, the switch map) only the new build has. */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"GET", "POST", "DELETE", "PATCH"};
    }

    public static String run(String input) {
        return new Router().route(Method.valueOf(input));
    }
}
