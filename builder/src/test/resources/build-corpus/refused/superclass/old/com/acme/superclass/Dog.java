package com.acme.superclass;

public class Dog extends Animal {
    @Override
    public String sound() {
        return "woof";
    }
}
