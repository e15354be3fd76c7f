package com.acme.staticness;

public class Counter {
    private int count;

    public int next() {
        return ++count;
    }
}
