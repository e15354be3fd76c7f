package io.jlivepatch.internal.patch;

import io.jlivepatch.StackEdgeSweep;

import java.lang.reflect.Field;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Run in a fresh JVM by {@link HookLedgerStackEdgeTest} (a JVM whose JIT has not compiled the
 * recursion and the ledger's code some other way already: in a JVM that ran other tests first the
 * old ledger passed). The ledger's lock is never left held by a thread whose stack ran out while it
 * recorded a class's hooks or a link: the transformer and the linker run at whatever depth the application's thread
 * is. Before, a transform at the edge of the stack (its FAILED record) left the lock held by the
 * ended thread now and then, and every later hooked class definition and status waited for ever
 * (TransformerStackEdgeTest hung in CI). Each attempt runs on a fresh thread with a small stack, one
 * frame deeper than the last, across the depths where the work stops fitting; after each, the lock
 * must be free (checked, never waited for: a held lock fails the test rather than hanging it). What
 * was recorded without room for the lock is applied by the lock's next holder, in order. Prints
 * {@code RESULT ok}.
 */
public final class HookLedgerStackEdgeDriver {

    private static final int STACK_BYTES = 256 * 1024;
    private static final int BELOW_EDGE = 400;
    private static final int ROUNDS = 2;
    private static final String KEY = "next()I";

    private HookLedgerStackEdgeDriver() {
    }

    public static void main(String[] args) throws Exception {
        HookLedger ledger = new HookLedger();
        ReentrantLock lock = lockOf(ledger);
        ClassLoader loader = new ClassLoader("edge", null) {
        };
        int[] attempts = {0};
        int reachedBottom = 0;
        for (int round = 0; round < ROUNDS; round++) {
            // A long sweep, most of it with room to spare: the lock was left held only once the
            // ledger's code had run often (compiled), at the very edge.
            reachedBottom += StackEdgeSweep.sweep(StackEdgeSweep.edge(STACK_BYTES), BELOW_EDGE, depth -> {
                // the recursion's overflow or the work's: either way the lock must be free afterwards
                boolean bottom = StackEdgeSweep.atDepth(depth, STACK_BYTES, "ledger-edge",
                        new Record(ledger, loader, "edge.C" + attempts[0]++));
                check(!lock.isLocked(), "the ledger's lock is held by an ended thread, after a record "
                        + depth + " frames deep");
                return bottom;
            });
        }
        check(reachedBottom >= BELOW_EDGE / 4, "the attempts reached the ledger " + reachedBottom + " times");

        // Whatever was queued for want of room is applied before a read: a record made with room
        // afterwards is read as made, and queued ones as theirs.
        ledger.put(loader, "edge.Last", new ClassHooks(Set.of(KEY), Map.of(), Map.of()), LinkTable.EMPTY);
        check(Set.of(KEY).equals(ledger.get(loader, "edge.Last").hooked()), "a record made with room reads as made");
        int recorded = 0;
        for (int i = 0; i < attempts[0]; i++) {
            ClassHooks h = ledger.get(loader, "edge.C" + i);
            if (!h.failures().isEmpty()) {
                check(Map.of(KEY, "at the edge").equals(h.failures()), "a record reads as made: " + h);
                recorded++;
            }
        }
        check(recorded > 0, "no record was kept");
        System.out.println("attempts " + attempts[0] + ", reached the ledger " + reachedBottom + ", recorded " + recorded);
        System.out.println("RESULT ok");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }

    /**
     * What an attempt does at the bottom of its recursion: records a class's hooks, a link failure and
     * a link. One class for every attempt, so that the call to it never meets a type it has not seen
     * (which would deoptimize it, and change the frames' size, mid-sweep).
     */
    private static final class Record implements Runnable {
        private final HookLedger ledger;
        private final ClassLoader loader;
        private final String className;

        Record(HookLedger ledger, ClassLoader loader, String className) {
            this.ledger = ledger;
            this.loader = loader;
            this.className = className;
        }

        @Override
        public void run() {
            ledger.put(loader, className, new ClassHooks(Set.of(), Map.of(KEY, "at the edge"), Map.of()), LinkTable.EMPTY);
            ledger.linkFailed(loader, className, KEY, "p", null, "does not fit", null);
            ledger.linked(loader, className, KEY, List.of());
        }
    }

    private static ReentrantLock lockOf(HookLedger ledger) throws ReflectiveOperationException {
        Field f = HookLedger.class.getDeclaredField("lock");
        f.setAccessible(true);
        return (ReentrantLock) f.get(ledger);
    }
}
