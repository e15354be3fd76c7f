package com.acme.fieldremoved;

public class Account {
    private long balance;
    private int audit;

    public long deposit(long amount) {
        audit++;
        balance += amount;
        return balance;
    }
}
