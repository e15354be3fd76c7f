package com.acme.constantchanged;

public class Limits {
    public static final int MAX = 20;

    public boolean allows(int n) {
        return n <= MAX;
    }
}
