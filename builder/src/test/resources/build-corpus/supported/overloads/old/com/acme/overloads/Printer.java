package com.acme.overloads;

public class Printer {
    public String format(int value) {
        return "int:" + value;
    }

    public String format(long value) {
        return "long:" + value;
    }

    public String format(String value) {
        return "string:" + value;
    }

    public String format(long value, String unit) {
        return value + unit;
    }
}
