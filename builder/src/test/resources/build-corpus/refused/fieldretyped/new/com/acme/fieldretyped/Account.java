package com.acme.fieldretyped;

public class Account {
    private long balance;

    public long deposit(long amount) {
        balance += amount;
        return balance;
    }
}
