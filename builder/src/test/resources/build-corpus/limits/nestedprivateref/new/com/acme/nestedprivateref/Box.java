package com.acme.nestedprivateref;

import java.util.function.Function;

public class Box {
    private final String content;

    public Box(String content) {
        this.content = content;
    }

    private static String shout(String s) {
        return s.toUpperCase() + "!";
    }

    public String describe() {
        return new Formatter().format(content);
    }

    static class Formatter {
        String format(String c) {
            Function<String, String> f = Box::shout;
            return "box of " + f.apply(c);
        }
    }
}
