package com.acme.trycatch;

public class Parser {
    private String lastLog = "none";

    public String parse(String text) {
        StringBuilder log = new StringBuilder();
        try {
            log.append("try;");
            int v = Integer.parseInt(text.trim().replace("!", ""));
            if (v == 0) {
                throw new ArithmeticException("zero");
            }
            return log.append("ok=").append(100 / v).toString();
        } catch (NumberFormatException | ArithmeticException e) {
            log.append("caught ").append(e.getClass().getSimpleName()).append(';');
            if (text.startsWith("!")) {
                throw new IllegalArgumentException("bad input " + text, e);
            }
            return log.toString();
        } finally {
            log.append("finally");
            lastLog = log.toString();
        }
    }

    public String lastLog() {
        return lastLog;
    }
}
