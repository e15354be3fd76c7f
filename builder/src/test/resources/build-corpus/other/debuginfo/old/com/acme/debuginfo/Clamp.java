package com.acme.debuginfo;

public class Clamp {
    public String apply(int value) {
        int result = value;
        return "value " + result;
    }
}
