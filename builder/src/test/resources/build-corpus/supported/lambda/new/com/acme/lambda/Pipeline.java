package com.acme.lambda;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import java.util.stream.Collectors;

public class Pipeline {
    private final String prefix;

    public Pipeline(String prefix) {
        this.prefix = prefix;
    }

    /** Its lambda is the same in both builds; the code around it is not. */
    public long count(String csv) {
        return Arrays.stream(csv.split(",")).filter(s -> !s.isBlank()).count() * 10;
    }

    public String process(String csv) {
        int min = 2;
        Function<String, String> tag = s -> prefix + s;
        Predicate<String> longEnough = s -> s.length() >= min;
        Supplier<IllegalStateException> nothing = () -> new IllegalStateException("nothing left of '" + csv + "'");
        List<String> kept = Arrays.stream(csv.split(","))
                .map(String::trim)
                .filter(longEnough)
                .map(tag.andThen(String::toUpperCase))
                .collect(Collectors.toList());
        if (kept.isEmpty()) {
            throw nothing.get();
        }
        ToIntFunction<String> w = this::weight;
        Function<String, Supplier<String>> nested = s -> () -> s + "#" + w.applyAsInt(s);
        return kept.stream().map(s -> nested.apply(s).get()).collect(Collectors.joining("|"));
    }

    public String sorted(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).sorted(sortKey()).collect(Collectors.joining(" "));
    }

    private Comparator<String> sortKey() {
        return (a, b) -> a.length() != b.length() ? b.length() - a.length() : a.compareTo(b);
    }

    private int weight(String s) {
        return s.length() * 10;
    }
}
