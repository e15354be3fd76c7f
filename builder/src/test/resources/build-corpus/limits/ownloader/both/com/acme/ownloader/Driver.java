package com.acme.ownloader;

/** An ordinary fix, run in a class loader other than the system class loader (as in an application server). */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"3", "-1"};
    }

    public static String run(String input) {
        return new Meter().add(Integer.parseInt(input));
    }
}
