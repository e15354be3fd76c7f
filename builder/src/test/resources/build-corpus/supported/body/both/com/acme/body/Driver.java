package com.acme.body;

/** A plain body change: Pricing.price gets a bulk discount and refuses negative quantities. */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"0", "1", "7", "99", "100", "250", "-3"};
    }

    public static String run(String input) {
        return String.valueOf(new Pricing().price(Integer.parseInt(input)));
    }
}
