package com.acme.cosmetic;

public class Stats {
    private final int[] values;

    public Stats(int... values) {
        this.values = values;
    }

    public double mean() {
        long sum = 0;
        for (int v : values) {
            sum += v;
        }
        return values.length == 0 ? 0 : (double) sum / values.length;
    }

    public int max() {
        int best = Integer.MIN_VALUE;
        for (int v : values) best = Math.max(best, v);
        return best;
    }
}
