package com.acme.sealednew;

public final class Circle extends Shape {
    @Override
    public String name() {
        return "circle";
    }
}
