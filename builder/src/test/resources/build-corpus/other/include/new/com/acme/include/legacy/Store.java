package com.acme.include.legacy;

public class Store {
    private long size;

    public int size() {
        return (int) Math.min(size, Integer.MAX_VALUE);
    }
}
