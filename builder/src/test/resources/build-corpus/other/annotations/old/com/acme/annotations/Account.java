package com.acme.annotations;

public class Account {
    private String owner = "ada";

    public String owner() {
        return owner;
    }

    public String statement() {
        return "statement of " + owner;
    }
}
