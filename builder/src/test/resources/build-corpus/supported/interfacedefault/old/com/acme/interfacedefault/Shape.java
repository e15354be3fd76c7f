package com.acme.interfacedefault;

public interface Shape {
    double area();

    String name();

    default String describe() {
        return name() + " " + area();
    }

    private String format(double value) {
        return String.format(java.util.Locale.ROOT, "%.3f", value);
    }

    static String unit() {
        return "m2";
    }
}
