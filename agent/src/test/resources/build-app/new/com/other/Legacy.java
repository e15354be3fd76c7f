package com.other;

public class Legacy {
    private int count;
    private int audit;

    public int next() {
        audit++;
        return ++count;
    }
}
