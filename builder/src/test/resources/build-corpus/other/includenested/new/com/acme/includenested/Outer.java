package com.acme.includenested;

public class Outer {
    public String text(String name) {
        return new Inner().label() + name;
    }

    static class Inner {
        String label() {
            return "hello ";
        }
    }
}
