package com.acme.sealednew;

public sealed class Shape permits Square, Circle {
    public String name() {
        return "shape";
    }
}
