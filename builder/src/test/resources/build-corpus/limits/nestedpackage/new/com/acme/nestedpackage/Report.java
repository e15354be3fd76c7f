package com.acme.nestedpackage;

import java.util.List;

public class Report {
    private final String title;

    public Report(String title) {
        this.title = title;
    }

    public String render(List<String> cells) {
        StringBuilder sb = new StringBuilder(title).append(':');
        for (String c : cells) {
            sb.append(new Cell(c).boxed());
        }
        return sb.toString();
    }

    /** Only in the new build: package-private, nothing private. */
    static final class Cell {
        final String text;

        Cell(String text) {
            if (text.isEmpty()) {
                throw new IllegalArgumentException("empty cell");
            }
            this.text = text;
        }

        String boxed() {
            return "[" + text + "]";
        }
    }
}
