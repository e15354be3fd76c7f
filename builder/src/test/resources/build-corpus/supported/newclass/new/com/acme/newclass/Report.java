package com.acme.newclass;

import java.util.List;

public class Report {
    private final String title;

    public Report(String title) {
        this.title = title;
    }

    public String render(List<String> cells) {
        TableFormatter f = new TableFormatter('|');
        for (String c : cells) {
            f.add(new Cell(c));
        }
        return title + ":" + f.format();
    }
}
