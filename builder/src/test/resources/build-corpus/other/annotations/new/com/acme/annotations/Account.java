package com.acme.annotations;

public class Account {
    private String owner = "ada";

    public String owner() {
        return owner.toUpperCase();
    }

    @Role("auditor")
    public String statement() {
        return "statement of " + owner;
    }
}
