package com.acme.fieldcontention;

public class Counter {
    private final Object lock = new Object();
    private int hits;
    private long weight;
    private static long allHits;

    public void hit(int step) {
        synchronized (lock) {
            hits++;
        }
        addWeight(step);
        synchronized (Counter.class) {
            allHits += 1;
        }
    }

    private synchronized void addWeight(int step) {
        weight += step * 1_000_000_000L;
    }

    public String report() {
        synchronized (lock) {
            synchronized (this) {
                return "hits=" + hits + " weight=" + weight + " allHits(so far)=" + allHits;
            }
        }
    }
}
