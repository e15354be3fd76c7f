package com.acme.nestedprivate;

public class Box {
    private final int size;

    public Box(int size) {
        this.size = size;
    }

    public String describe() {
        return "box " + size;
    }
}
