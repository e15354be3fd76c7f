package com.acme.addedoverride;

public class Shape {
    public String label() {
        return "shape";
    }

    public String describe() {
        return "a " + label();
    }
}
