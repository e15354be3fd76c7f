package com.acme.staticmethod;

/** A changed static method, which calls a private static helper. */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"12 18", "7 5", "-4 6", "0 9", "0 0", "100 -75"};
    }

    public static String run(String input) {
        String[] p = input.split(" ");
        return String.valueOf(MathUtil.gcd(Integer.parseInt(p[0]), Integer.parseInt(p[1])));
    }
}
