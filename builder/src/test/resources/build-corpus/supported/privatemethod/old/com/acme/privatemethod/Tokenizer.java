package com.acme.privatemethod;

import java.util.ArrayList;
import java.util.List;

public class Tokenizer {
    private final String marker;

    public Tokenizer(String marker) {
        this.marker = marker;
    }

    public List<String> split(String text) {
        List<String> out = new ArrayList<>();
        for (String s : text.split(" ")) {
            out.add(s);
        }
        return out;
    }

    private String normalize(String token) {
        return marker + token.trim().toLowerCase();
    }

    private static boolean isSeparator(char c) {
        return c == ' ' || c == ',' || c == ';';
    }

    private void check(String text) {
        if (text.startsWith("!")) {
            throw new IllegalArgumentException("cannot tokenize '" + text + "' (starts with " + marker + "!)");
        }
    }
}
