package com.acme.fieldremoved;

public class Account {
    private long balance;

    public long deposit(long amount) {
        balance += amount;
        return balance;
    }
}
