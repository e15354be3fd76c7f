package com.acme.fieldadded;

public class Account {
    private long balance;
    private long limit;

    public long deposit(long amount) {
        if (limit == 0) {
            limit = amount * 3; // the first deposit sets the limit
        }
        if (balance + amount > limit) {
            throw new IllegalStateException("over the limit " + limit);
        }
        balance += amount;
        return balance;
    }
}
