package com.acme.superclass;

public class Animal {
    public String sound() {
        return "Animal";
    }
}
