package com.acme.interfacedefault;

public interface Shape {
    double area();

    String name();

    default String describe() {
        double a = area();
        if (a < 0) {
            throw new IllegalArgumentException(name() + " has a negative area: " + a);
        }
        java.util.function.DoubleFunction<String> withName = v -> name() + " of area " + format(v);
        return withName.apply(a) + " " + unit() + " (" + rounded(a) + ")";
    }

    private String format(double value) {
        return String.format(java.util.Locale.ROOT, "%.3f", value);
    }

    private static long rounded(double value) {
        return Math.round(value);
    }

    static String unit() {
        return "sq m";
    }
}
