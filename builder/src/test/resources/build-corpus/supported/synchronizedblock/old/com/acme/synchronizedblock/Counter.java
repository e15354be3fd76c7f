package com.acme.synchronizedblock;

public class Counter {
    private final Object lock = new Object();
    private int count;

    public String increment(int by) {
        count += by;
        return String.valueOf(count);
    }

    public synchronized String snapshot() {
        return "count=" + count;
    }

    public boolean locked() {
        return Thread.holdsLock(lock) || Thread.holdsLock(this);
    }
}
