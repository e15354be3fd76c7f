package com.acme.mismatch;

/** Release 1.1: resolve is as in 1.0, another method changed. */
public class Files {
    public String resolve(String name) {
        return "/srv/" + name;
    }

    public String version() {
        return "1.1";
    }
}
