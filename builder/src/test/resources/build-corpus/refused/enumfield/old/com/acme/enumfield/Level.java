package com.acme.enumfield;

public enum Level {
    LOW, HIGH;

    public String label() {
        return name().toLowerCase();
    }
}
