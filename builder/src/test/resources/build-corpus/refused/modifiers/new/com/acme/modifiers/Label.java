package com.acme.modifiers;

public class Label {
    private String text = "";

    public synchronized String label() {
        return "[" + text + "]";
    }
}
