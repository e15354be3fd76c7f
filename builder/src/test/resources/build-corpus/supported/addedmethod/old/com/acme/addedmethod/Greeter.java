package com.acme.addedmethod;

public class Greeter {
    private final int excitement;

    public Greeter(int excitement) {
        this.excitement = excitement;
    }

    public String greet(String name) {
        return "Hello " + name;
    }
}
