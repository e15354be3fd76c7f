package com.acme.fieldretyped;

public class Account {
    private int balance;

    public long deposit(long amount) {
        balance += (int) amount;
        return balance;
    }
}
