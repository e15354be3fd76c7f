package com.acme.interfacedefault;

public final class Square implements Shape {
    private final double side;

    public Square(double side) {
        this.side = side;
    }

    @Override
    public double area() {
        return side < 0 ? -side * side : side * side;
    }

    @Override
    public String name() {
        return "square";
    }
}
