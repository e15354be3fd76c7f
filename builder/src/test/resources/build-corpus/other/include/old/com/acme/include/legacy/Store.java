package com.acme.include.legacy;

public class Store {
    private int size;

    public int size() {
        return size;
    }
}
