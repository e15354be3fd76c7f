package com.acme.fieldinitbranch;

public class Account {
    private final int balance;
    private String tier = "basic";
    private int limit;

    public Account(int balance) {
        this.balance = balance;
        if (balance > 1000) {
            tier = "gold";
            limit = 500;
        }
    }

    public String describe() {
        return tier + " " + balance + " with limit " + limit;
    }
}
