package com.acme.staticmethod;

public final class MathUtil {
    private MathUtil() {
    }

    public static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }

    private static int abs(int x) {
        return x < 0 ? -x : x;
    }
}
