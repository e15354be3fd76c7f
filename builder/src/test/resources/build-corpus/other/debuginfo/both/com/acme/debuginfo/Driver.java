package com.acme.debuginfo;

public final class Driver {
    public static String[] inputs() {
        return new String[] {"3", "-3"};
    }

    public static String run(String input) {
        return new Clamp().apply(Integer.parseInt(input));
    }
}
