package com.acme.synchronizedblock;

public class Counter {
    private final Object lock = new Object();
    private int count;

    public String increment(int by) {
        synchronized (lock) {
            count += by;
            if (count > 10) {
                throw new IllegalStateException("overflow at " + count + " (lock held: " + Thread.holdsLock(lock) + ")");
            }
            return count + (Thread.holdsLock(lock) ? "L" : "-");
        }
    }

    public synchronized String snapshot() {
        return "count=" + count + " this-held=" + Thread.holdsLock(this);
    }

    public boolean locked() {
        return Thread.holdsLock(lock) || Thread.holdsLock(this);
    }
}
