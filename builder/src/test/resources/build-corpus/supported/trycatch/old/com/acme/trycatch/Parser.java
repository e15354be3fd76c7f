package com.acme.trycatch;

public class Parser {
    private String lastLog = "none";

    public String parse(String text) {
        try {
            return "ok=" + (100 / Integer.parseInt(text));
        } catch (NumberFormatException e) {
            return "bad";
        }
    }

    public String lastLog() {
        return lastLog;
    }
}
