package com.other;

public class Legacy {
    private long count;

    public int next() {
        return (int) ++count;
    }
}
