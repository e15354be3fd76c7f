package com.acme.cumulative;

/** Fix v2, cumulative: the same field, and a cap; it must go on from v1's count. */
public class Meter {

    private long hits;

    public synchronized String hit() {
        hits++;
        return hits > 3 ? "capped at " + hits : "hit " + hits + " of 3";
    }
}
