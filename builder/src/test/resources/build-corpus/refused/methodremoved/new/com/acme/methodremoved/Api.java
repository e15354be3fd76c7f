package com.acme.methodremoved;

public class Api {
    public String current() {
        return "v1";
    }
}
