package com.acme.privatetarget;

/** The changed method is private (static and instance), called by code both builds have alike. */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"a@b.c", "A@B.C", "nobody", "x@"};
    }

    public static String run(String input) {
        return new Mailer().send(input);
    }
}
