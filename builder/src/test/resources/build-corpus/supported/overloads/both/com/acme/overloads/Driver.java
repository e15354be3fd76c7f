package com.acme.overloads;

/** Overloads of one name where only format(long) changes. */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"5", "-5", "3000000000", "-3000000000"};
    }

    public static String run(String input) {
        Printer p = new Printer();
        long l = Long.parseLong(input);
        return p.format((int) l) + " " + p.format(l) + " " + p.format(input) + " " + p.format(l, "u");
    }
}
