package com.acme.staticness;

public class Counter {
    private static int count;

    public int next() {
        return ++count;
    }
}
