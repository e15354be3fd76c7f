package com.acme.fieldinit;

public class Account {
    private final String owner;
    private long balance;

    public Account() {
        this("anonymous");
    }

    public Account(String owner) {
        this.owner = owner;
    }

    public void deposit(int amount) {
        balance += amount;
    }

    public String summary() {
        return owner + ": " + balance;
    }
}
