package com.acme.overriddenadded;

public class Shape {
    public String describe() {
        return "a " + label();
    }

    public String label() {
        return "shape";
    }
}
