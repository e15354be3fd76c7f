package com.acme.overriddenadded;

public class Circle extends Shape {
    public String label() {
        return "circle";
    }
}
