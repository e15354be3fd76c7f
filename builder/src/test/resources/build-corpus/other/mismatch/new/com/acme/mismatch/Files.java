package com.acme.mismatch;

/** Release 1.0 with the fix. */
public class Files {
    public String resolve(String name) {
        if (name.contains("..") || name.startsWith("/")) {
            throw new SecurityException("'" + name + "' leads outside /srv");
        }
        return "/srv/" + name;
    }

    public String version() {
        return "1.0";
    }
}
