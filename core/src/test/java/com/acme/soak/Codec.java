package com.acme.soak;

/** The soak test's target: an application method called by every worker. */
public final class Codec {

    private Codec() {
    }

    public static String encode(String s) {
        return "v1:" + s;
    }
}
