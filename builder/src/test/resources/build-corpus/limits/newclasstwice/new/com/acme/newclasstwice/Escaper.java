package com.acme.newclasstwice;

/** The first fix: escapes < and > only. */
final class Escaper {
    private Escaper() {
    }

    static String escape(String s) {
        return s.replace("<", "&lt;").replace(">", "&gt;");
    }
}
