package com.acme.money;

/** Amounts in cents. */
public final class Money {

    private Money() {
    }

    /** The amount rounded to the nearest 5 cents, as cash is paid (half up: 1233 gives 1235). */
    public static long roundToNickel(long cents) {
        return (cents + 2) / 5 * 5;
    }
}
