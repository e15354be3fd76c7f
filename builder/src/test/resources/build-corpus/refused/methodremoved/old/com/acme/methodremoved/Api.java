package com.acme.methodremoved;

public class Api {
    public String current() {
        return "v1";
    }

    public String legacy() {
        return "v0";
    }
}
