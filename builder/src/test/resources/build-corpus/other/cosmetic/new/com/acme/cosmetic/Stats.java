package com.acme.cosmetic;

/**
 * The same class as the old build, reformatted: other line numbers, other local variable
 * names, comments, and its methods in another order (so another constant-pool order).
 */
public class Stats {
    private final int[] values;

    public Stats(int... values) {
        this.values = values;
    }

    // the largest value
    public int max() {
        int largest = Integer.MIN_VALUE;


        for (int value : values) {
            largest = Math.max(largest, value);
        }
        return largest;
    }

    public double mean() {
        long total = 0;
        for (int element : values) {
            total
                += element;
        }
        return values.length == 0
                ? 0
                : (double) total / values.length;
    }
}
