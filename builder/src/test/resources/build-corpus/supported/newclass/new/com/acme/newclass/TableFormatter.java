package com.acme.newclass;

import java.util.ArrayList;
import java.util.List;

/** Only in the new build. */
final class TableFormatter {
    private final char separator;
    private final List<Cell> cells = new ArrayList<>();

    TableFormatter(char separator) {
        this.separator = separator;
    }

    void add(Cell cell) {
        cells.add(cell);
    }

    String format() {
        StringBuilder sb = new StringBuilder().append(separator);
        for (Cell c : cells) {
            sb.append(' ').append(c.text).append(' ').append(separator);
        }
        return sb.toString();
    }
}
