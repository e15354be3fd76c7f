package com.acme.signature;

public class Formatter {
    public String format(long value) {
        return "#" + value;
    }
}
