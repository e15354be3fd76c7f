package com.acme.privatefield;

public class Account {
    private final String owner;
    private long balance;
    private int operations;
    private static int rejected;

    public Account(String owner, long balance) {
        this.owner = owner;
        this.balance = balance;
    }

    public String summary() {
        return owner + "=" + balance + "/" + operations;
    }

    public long deposit(long amount) {
        balance += amount;
        return balance;
    }

    public boolean transfer(Account to, long amount) {
        balance -= amount;
        to.balance += amount;
        return true;
    }
}
