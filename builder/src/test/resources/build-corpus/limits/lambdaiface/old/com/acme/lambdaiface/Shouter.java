package com.acme.lambdaiface;

public class Shouter {
    private final String suffix;

    public Shouter(String suffix) {
        this.suffix = suffix;
    }

    public String shout(String s) {
        return s + suffix;
    }
}
