package com.acme.interfacefield;

public interface Limits {
    String UNIT = "items";

    default int max() {
        return UNIT.length();
    }
}
