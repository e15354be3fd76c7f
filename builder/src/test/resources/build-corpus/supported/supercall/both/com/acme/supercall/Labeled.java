package com.acme.supercall;

public interface Labeled {
    default String label(String what) {
        if (what.isEmpty()) {
            throw new IllegalArgumentException("nothing to label");
        }
        return "label:" + what;
    }
}
