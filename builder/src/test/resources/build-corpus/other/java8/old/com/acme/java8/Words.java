package com.acme.java8;

public class Words {
    private final String prefix;
    private int seen;

    public Words(String prefix) {
        this.prefix = prefix;
    }

    public String join(String text) {
        return prefix + text;
    }

    private String tag(String s) {
        return prefix + s.toLowerCase();
    }

    private String helper(String s) {
        return "[" + s + "]";
    }

    public class Counter {
        public String count(String text) {
            return seen + ":" + text.length();
        }

        private void touch() {
            seen = seen + 0;
            String p = prefix;
        }
    }
}
