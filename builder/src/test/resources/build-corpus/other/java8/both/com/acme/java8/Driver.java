package com.acme.java8;

/**
 * Compiled with --release 8, before nestmates: private methods are called with invokespecial,
 * method references to them are REF_invokeSpecial handles, and an inner class reaches its outer
 * class's private members through synthetic access$NNN methods (which both builds have here).
 */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"a b", "Hello  World", "", "x"};
    }

    public static String run(String input) {
        Words w = new Words("#");
        return w.join(input) + " / " + w.new Counter().count(input);
    }
}
