package io.jlivepatch.internal.core;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Every life-cycle operation and its outcome, refusals included, newest last. Bounded: the oldest
 * entries go first, so a patching loop cannot grow the heap.
 */
public final class AuditLog {

    /**
     * @param time      when the operation ended
     * @param operation {@code load}, {@code register}, {@code enable}, {@code disable}, {@code unregister}, {@code force}
     * @param patch     the patch's name, or the JAR's path when the name is unknown
     * @param outcome   {@code ok}, or {@code refused REASON: message}
     */
    public record Entry(Instant time, String operation, String patch, String outcome) {
        @Override
        public String toString() {
            return time + " " + operation + " " + patch + ": " + outcome;
        }
    }

    static final int CAPACITY = 1000;

    // Guarded by this.
    private final Deque<Entry> entries = new ArrayDeque<>();

    synchronized void record(String operation, String patch, String outcome) {
        if (entries.size() == CAPACITY) {
            entries.removeFirst();
        }
        entries.addLast(new Entry(Instant.now(), operation, patch, outcome));
    }

    public synchronized List<Entry> entries() {
        return new ArrayList<>(entries);
    }
}
