package com.acme.newclassotherpackage.util;

public final class Escaper {
    private Escaper() {
    }

    public static String escape(String s) {
        return s.replace("<", "&lt;");
    }
}
