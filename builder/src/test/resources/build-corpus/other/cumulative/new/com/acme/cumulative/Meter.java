package com.acme.cumulative;

/** Fix v1: counts hits in a field the running class does not have. */
public class Meter {

    private long hits;

    public synchronized String hit() {
        hits++;
        return "hit " + hits;
    }
}
