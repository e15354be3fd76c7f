package com.acme.privatemethod;

import java.util.ArrayList;
import java.util.List;

public class Tokenizer {
    private final String marker;

    public Tokenizer(String marker) {
        this.marker = marker;
    }

    public List<String> split(String text) {
        check(text);
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (char c : text.toCharArray()) {
            if (isSeparator(c)) {
                if (current.length() > 0) {
                    out.add(this.normalize(current.toString()));
                    current.setLength(0);
                }
            } else {
                current.append(c);
            }
        }
        if (current.length() > 0) {
            out.add(normalize(current.toString()));
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
