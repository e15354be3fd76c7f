package com.acme.overloads;

public class Printer {
    public String format(int value) {
        return "int:" + value;
    }

    public String format(long value) {
        if (value < Integer.MIN_VALUE) {
            throw new ArithmeticException("too small: " + value);
        }
        return "long:" + (value > Integer.MAX_VALUE ? "big" : Long.toString(value));
    }

    public String format(String value) {
        return "string:" + value;
    }

    public String format(long value, String unit) {
        return value + unit;
    }
}
