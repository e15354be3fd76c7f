package com.acme.include.app;

public class Greeting {
    public String text(String name) {
        return "hi " + name;
    }
}
