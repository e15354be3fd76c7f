package com.acme.supercall.lib;

public class Base {
    public String describe(String what) {
        return "base(" + what + ")";
    }

    protected int weight() {
        return 1;
    }
}
