package com.acme.fieldinitcomputed;

public class Session {
    private final long created = System.nanoTime();

    public String describe() {
        return "session since " + created;
    }
}
