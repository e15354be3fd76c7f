package com.acme.staticmethod;

public final class MathUtil {
    private MathUtil() {
    }

    public static int gcd(int a, int b) {
        if (a == 0 && b == 0) {
            throw new ArithmeticException("gcd(0, 0) is undefined");
        }
        a = abs(a);
        b = abs(b);
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
