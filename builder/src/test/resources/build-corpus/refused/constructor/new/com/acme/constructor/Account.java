package com.acme.constructor;

public class Account {
    private long balance;

    public Account(long balance) {
        this.balance = Math.max(0, balance);
    }

    public long balance() {
        return balance;
    }
}
