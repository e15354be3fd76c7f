package com.acme.fieldinit;

import java.util.ArrayList;
import java.util.List;

public class Account {
    static final int MAX_AUDITS = 3;
    static String currency = "EUR";

    private final String owner;
    private long balance;
    private int limit = 250;
    private boolean open = true;
    private double rate;
    final List<String> audits = new ArrayList<>();
    private final StringBuilder log = new StringBuilder();

    public Account() {
        this("anonymous");
    }

    public Account(String owner) {
        this.owner = owner;
        this.rate = 1.5;
    }

    public void deposit(int amount) {
        if (!open) {
            audits.add("closed: " + amount);
            return;
        }
        if (balance + amount > limit) {
            open = false;
            audits.add("refused " + amount);
            return;
        }
        balance += amount;
        log.append('+').append(amount);
        if (audits.size() < MAX_AUDITS) {
            audits.add("deposit " + amount);
        }
    }

    public String summary() {
        return owner + ": " + balance + " " + currency + " x" + rate + " " + log + " " + new AuditLog(this).render();
    }
}
