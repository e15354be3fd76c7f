package com.acme.constantchanged;

public class Limits {
    public static final int MAX = 10;

    public boolean allows(int n) {
        return n <= MAX;
    }
}
