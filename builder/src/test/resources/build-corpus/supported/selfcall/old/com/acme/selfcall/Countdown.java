package com.acme.selfcall;

public class Countdown {
    public String count(int n) {
        return n <= 0 ? "go" : n + " " + count(n - 1);
    }

    public static int sum(int n) {
        return n <= 0 ? 0 : n + sum(n - 1);
    }

    public String label(int n) {
        return "n=" + n;
    }
}
