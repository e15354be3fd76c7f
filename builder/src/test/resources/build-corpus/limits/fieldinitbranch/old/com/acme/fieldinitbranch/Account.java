package com.acme.fieldinitbranch;

public class Account {
    private final int balance;
    private String tier = "basic";

    public Account(int balance) {
        this.balance = balance;
        if (balance > 1000) {
            tier = "gold";
        }
    }

    public String describe() {
        return tier + " " + balance;
    }
}
