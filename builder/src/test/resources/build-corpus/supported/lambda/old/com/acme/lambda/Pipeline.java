package com.acme.lambda;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Collectors;

public class Pipeline {
    private final String prefix;

    public Pipeline(String prefix) {
        this.prefix = prefix;
    }

    /** Its lambda is the same in both builds; the code around it is not. */
    public long count(String csv) {
        return Arrays.stream(csv.split(",")).filter(s -> !s.isBlank()).count();
    }

    public String process(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).collect(Collectors.joining("|"));
    }

    public String sorted(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).sorted(sortKey()).collect(Collectors.joining(" "));
    }

    private Comparator<String> sortKey() {
        return (a, b) -> a.compareTo(b);
    }

    private int weight(String s) {
        return s.length() * 10;
    }
}
