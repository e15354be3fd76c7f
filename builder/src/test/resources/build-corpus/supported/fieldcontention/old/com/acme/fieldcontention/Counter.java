package com.acme.fieldcontention;

public class Counter {
    private final Object lock = new Object();

    public void hit(int step) {
    }

    public String report() {
        return "not counted";
    }
}
