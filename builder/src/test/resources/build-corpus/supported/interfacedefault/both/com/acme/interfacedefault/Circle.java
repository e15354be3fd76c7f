package com.acme.interfacedefault;

public final class Circle implements Shape {
    private final double radius;

    public Circle(double radius) {
        this.radius = radius;
    }

    @Override
    public double area() {
        return Math.PI * radius * radius;
    }

    @Override
    public String name() {
        return "circle";
    }

    @Override
    public String describe() {
        return "round " + Shape.super.describe();
    }
}
