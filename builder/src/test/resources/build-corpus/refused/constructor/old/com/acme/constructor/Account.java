package com.acme.constructor;

public class Account {
    private long balance;

    public Account(long balance) {
        this.balance = balance;
    }

    public long balance() {
        return balance;
    }
}
