package com.acme.cumulative;

/** The shipped build: counts nothing. */
public class Meter {

    public synchronized String hit() {
        return "hit";
    }
}
