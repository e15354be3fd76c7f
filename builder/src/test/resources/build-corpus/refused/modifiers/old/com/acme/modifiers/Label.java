package com.acme.modifiers;

public class Label {
    private String text = "";

    public String label() {
        return "[" + text + "]";
    }
}
