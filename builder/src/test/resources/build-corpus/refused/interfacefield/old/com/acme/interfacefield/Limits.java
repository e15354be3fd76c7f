package com.acme.interfacefield;

public interface Limits {
    default int max() {
        return 10;
    }
}
