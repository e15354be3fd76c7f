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
        if (amount <= 0) {
            rejected++;
            throw new IllegalArgumentException(owner + ": a deposit must be positive, was " + amount
                    + " (rejected so far: " + Account.rejected + ")");
        }
        this.balance = this.balance + amount;
        operations++;
        return balance;
    }

    public boolean transfer(Account to, long amount) {
        if (amount < 0 || amount > balance) {
            return false;
        }
        balance -= amount;
        to.balance += amount;
        operations++;
        to.operations += 1;
        return true;
    }
}
