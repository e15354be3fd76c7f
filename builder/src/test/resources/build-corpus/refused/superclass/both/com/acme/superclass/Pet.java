package com.acme.superclass;

public class Pet {
    public String sound() {
        return "Pet";
    }
}
