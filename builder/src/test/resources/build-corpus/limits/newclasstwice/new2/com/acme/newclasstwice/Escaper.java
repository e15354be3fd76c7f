package com.acme.newclasstwice;

/** The second fix: escapes & too. */
final class Escaper {
    private Escaper() {
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
