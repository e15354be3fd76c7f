package com.acme.enumswitch;

public class Router {
    public String route(Method m) {
        return m == Method.GET ? "read" : "write";
    }
}
