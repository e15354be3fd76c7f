package com.acme.include.legacy;

public class Store {
    private int size;
    private int capacity;

    public int size() {
        return Math.min(size, capacity);
    }
}
