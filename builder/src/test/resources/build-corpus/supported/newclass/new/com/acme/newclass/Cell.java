package com.acme.newclass;

/** Only in the new build. */
final class Cell {
    final String text;

    Cell(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty cell");
        }
        this.text = text;
    }
}
