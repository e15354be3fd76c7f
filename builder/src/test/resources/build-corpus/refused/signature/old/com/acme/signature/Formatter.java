package com.acme.signature;

public class Formatter {
    public String format(int value) {
        return "#" + value;
    }
}
