package com.acme.enumfield;

public enum Level {
    LOW, HIGH;

    private int uses;

    public String label() {
        uses++;
        return name().toLowerCase() + uses;
    }
}
