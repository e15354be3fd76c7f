package com.acme.nestedpackage;

import java.util.List;

public class Report {
    private final String title;

    public Report(String title) {
        this.title = title;
    }

    public String render(List<String> cells) {
        return title + ":" + String.join(",", cells);
    }
}
