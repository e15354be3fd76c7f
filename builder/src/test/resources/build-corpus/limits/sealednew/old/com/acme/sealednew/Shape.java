package com.acme.sealednew;

public sealed class Shape permits Square {
    public String name() {
        return "shape";
    }
}
