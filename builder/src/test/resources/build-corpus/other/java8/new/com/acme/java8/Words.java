package com.acme.java8;

public class Words {
    private final String prefix;
    private int seen;

    public Words(String prefix) {
        this.prefix = prefix;
    }

    public String join(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("nothing to join");
        }
        java.util.function.Function<String, String> f = this::tag;
        StringBuilder sb = new StringBuilder();
        for (String s : text.split(" +")) {
            sb.append(f.apply(s)).append(prefix.length());
        }
        switch (text) {
            case "x":
                sb.append(" (x)");
                break;
            default:
                break;
        }
        return helper(sb.toString());
    }

    private String tag(String s) {
        return prefix + s.toLowerCase();
    }

    private String helper(String s) {
        return "[" + s + "]";
    }

    public class Counter {
        public String count(String text) {
            seen = seen + text.length();
            return prefix + seen;
        }

        private void touch() {
            seen = seen + 0;
            String p = prefix;
        }
    }
}
