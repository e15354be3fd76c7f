package com.acme.fieldtypes;

public class Tally {
    private int words;

    public String add(String word) {
        words++;
        return "words=" + words;
    }

    public static String totals() {
        return "no totals";
    }
}
