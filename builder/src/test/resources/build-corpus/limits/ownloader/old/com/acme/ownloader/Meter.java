package com.acme.ownloader;

public class Meter {
    private int total;

    public String add(int amount) {
        total += amount;
        return "total " + total;
    }
}
