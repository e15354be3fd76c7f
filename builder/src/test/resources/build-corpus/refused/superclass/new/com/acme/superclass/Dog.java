package com.acme.superclass;

public class Dog extends Pet {
    @Override
    public String sound() {
        return "woof";
    }
}
