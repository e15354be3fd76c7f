package com.acme.fieldinitprivate;

public class Holder {
    private final Stats stats = new Stats();

    public String use() {
        stats.uses++;
        return "used " + stats.uses;
    }

    private static final class Stats {
        int uses;
    }
}
