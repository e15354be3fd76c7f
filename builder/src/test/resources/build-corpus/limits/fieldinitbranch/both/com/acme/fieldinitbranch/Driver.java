package com.acme.fieldinitbranch;

/** The new build sets its added field in a branch of the constructor: only some accounts get the limit. */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"5", "5000"};
    }

    public static String run(String input) {
        return new Account(Integer.parseInt(input)).describe();
    }
}
