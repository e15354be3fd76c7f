package com.acme.sealednew;

public final class Square extends Shape {
    @Override
    public String name() {
        return "square";
    }
}
