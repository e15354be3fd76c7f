package com.other;

public class Legacy {
    private int count;

    public int next() {
        return ++count;
    }
}
