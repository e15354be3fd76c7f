package com.acme.sealednew;

public final class Shapes {
    public static Shape make(int kind) {
        return new Square();
    }
}
