package com.acme.ownloader;

public class Meter {
    private int total;

    public String add(int amount) {
        if (amount < 0) {
            throw new IllegalArgumentException("negative amount " + amount);
        }
        total += amount;
        return "total is " + total;
    }
}
