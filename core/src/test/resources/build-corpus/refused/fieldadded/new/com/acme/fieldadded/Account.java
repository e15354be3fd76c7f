package com.acme.fieldadded;

public class Account {
    private long balance;
    private long limit;

    public long deposit(long amount) {
        if (limit > 0 && balance + amount > limit) {
            throw new IllegalStateException("over the limit");
        }
        balance += amount;
        return balance;
    }
}
