package com.acme.nestedprivateref;

public class Box {
    private final String content;

    public Box(String content) {
        this.content = content;
    }

    private static String shout(String s) {
        return s.toUpperCase() + "!";
    }

    public String describe() {
        return "box of " + content;
    }
}
