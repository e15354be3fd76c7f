package com.acme.mismatch;

/** Release 1.0. */
public class Files {
    public String resolve(String name) {
        return "/srv/" + name;
    }

    public String version() {
        return "1.0";
    }
}
