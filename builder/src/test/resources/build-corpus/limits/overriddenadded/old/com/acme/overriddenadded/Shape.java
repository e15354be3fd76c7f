package com.acme.overriddenadded;

public class Shape {
    public String describe() {
        return "a figure";
    }
}
