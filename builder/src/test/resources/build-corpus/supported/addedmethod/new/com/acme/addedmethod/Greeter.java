package com.acme.addedmethod;

public class Greeter {
    private final int excitement;

    public Greeter(int excitement) {
        this.excitement = excitement;
    }

    public String greet(String name) {
        if (name.isBlank()) {
            throw new IllegalArgumentException("whom to greet? '" + name + "'");
        }
        return "Hello " + capitalize(name) + decorate(name);
    }

    static String capitalize(String word) {
        return Character.toUpperCase(word.charAt(0)) + word.substring(1).toLowerCase();
    }

    private String decorate(String name) {
        return "!".repeat(excitement) + (excitement > 0 ? " (" + capitalize(name.substring(name.length() - 1)) + ")" : "");
    }
}
