package com.acme.supercall;

/**
 * super.m() from an override (Base is in another package, weight() is protected there and
 * overridden here) and Labeled.super.label() for an interface default method.
 */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"pen", "  ink ", "x", ""};
    }

    public static String run(String input) {
        Item item = new Item();
        return item.describe(input) + " / " + item.label(input);
    }
}
