package com.acme.debuginfo;

public class Clamp {
    public String apply(int value) {
        int result = Math.max(0, value);
        return "value " + result;
    }
}
