package io.jlivepatch.internal.core;

import io.jlivepatch.internal.Text;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Every life-cycle operation and its outcome, refusals included, newest last. Bounded, so that no
 * patching loop and no input can grow the heap: at most {@value #CAPACITY} entries and
 * {@value #MAX_BYTES} bytes (oldest first out), each field cut to its own limit with a visible
 * {@code …(truncated, N chars)} and {@link Text#clean cleaned}, so that one entry is one line.
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
    static final int MAX_BYTES = 256 * 1024;
    static final int MAX_OPERATION = 32;
    static final int MAX_PATCH = 256;
    static final int MAX_OUTCOME = 1000;
    /** The entry, its Instant, three Strings and their arrays' headers, the deque's slot: a generous estimate. */
    static final int ENTRY_OVERHEAD = 160;

    // Guarded by this.
    private final Deque<Entry> entries = new ArrayDeque<>();
    // Guarded by this: the sum of bytes(e) over entries.
    private long bytes;

    /**
     * @param requester  who asked ({@link Requester})
     * @param provenance the patch's, or what is known of a refused JAR; {@code null} for neither
     */
    void record(String operation, String patch, String outcome, String requester, Provenance provenance) {
        // Cut and cleaned outside the lock: the raw fields may be large.
        Entry e = new Entry(Instant.now(), field(operation, MAX_OPERATION), field(patch, MAX_PATCH),
                field(outcome, MAX_OUTCOME));
        long size = bytes(e);
        synchronized (this) {
            entries.addLast(e);
            bytes += size;
            while (entries.size() > CAPACITY || bytes > MAX_BYTES) {
                bytes -= bytes(entries.removeFirst());
            }
        }
    }

    public synchronized List<Entry> entries() {
        return new ArrayList<>(entries);
    }

    /** What the entries keep on the heap, estimated: two bytes a character (at most) and the objects around them. */
    synchronized long bytes() {
        return bytes;
    }

    private static String field(String raw, int max) {
        return Text.clean(Text.truncate(raw, max));
    }

    static long bytes(Entry e) {
        return ENTRY_OVERHEAD + 2L * (e.operation().length() + e.patch().length() + e.outcome().length());
    }
}
