package io.jlivepatch.internal.patch;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ledger's lock is never left held by a thread whose stack ran out while it recorded a class's
 * hooks or a link: the transformer and the linker run at whatever depth the application's thread
 * is. Before, a transform at the edge of the stack (its FAILED record) left the lock held by the
 * ended thread now and then, and every later hooked class definition and status waited for ever
 * (TransformerStackEdgeTest hung in CI). Each attempt runs on a fresh thread with a small stack, one
 * frame deeper than the last, across the depths where the work stops fitting; after each, the lock
 * must be free (checked, never waited for: a held lock fails the test rather than hanging it). What
 * was recorded without room for the lock is applied by the lock's next holder, in order.
 */
class HookLedgerStackEdgeTest {

    private static final int STACK_BYTES = 256 * 1024;
    private static final int BELOW_EDGE = 400;
    private static final int ROUNDS = 3;
    private static final int START = 1_000_000;
    private static final String KEY = "next()I";

    private static volatile int reached;

    @Test
    void theLockIsFreeAfterEveryRecordAtTheStacksEdge() throws Exception {
        HookLedger ledger = new HookLedger();
        ReentrantLock lock = lockOf(ledger);
        ClassLoader loader = new ClassLoader("edge", null) {
        };
        int attempts = 0;
        int reachedBottom = 0;
        for (int round = 0; round < ROUNDS; round++) {
            int edge = edge();
            // The probe's frames and the attempts' need not be the same size (compiled or not): from the
            // first depth below the probe's edge whose recursion reaches its bottom, well above it, one
            // frame at a time down to where none does. A long sweep, most of it with room to spare: the
            // lock was left held only once the ledger's code had run often (compiled), at the very edge.
            int first = edge;
            while (first > 1 && !attempt(first, () -> { })) {
                first -= 16;
            }
            for (int depth = Math.max(1, first - BELOW_EDGE); ; depth++) {
                String className = "edge.C" + attempts++;
                boolean bottom = attempt(depth, () -> {
                    ledger.put(loader, className, new ClassHooks(Set.of(), Map.of(KEY, "at the edge"), Map.of()));
                    ledger.linkFailed(loader, className, KEY, "p", "does not fit", null);
                    ledger.linked(loader, className, KEY, List.of());
                });
                assertFalse(lock.isLocked(), "the ledger's lock is held by an ended thread, after a record "
                        + depth + " frames deep");
                if (!bottom) {
                    break; // not even the recursion fits: deeper attempts never reach the ledger
                }
                reachedBottom++;
            }
        }
        assertTrue(reachedBottom >= BELOW_EDGE, "the attempts reached the ledger " + reachedBottom + " times");

        // Whatever was queued for want of room is applied before a read: a record made with room
        // afterwards is read as made, and queued ones as theirs.
        ledger.put(loader, "edge.Last", new ClassHooks(Set.of(KEY), Map.of(), Map.of()));
        assertEquals(Set.of(KEY), ledger.get(loader, "edge.Last").hooked());
        int recorded = 0;
        for (int i = 0; i < attempts; i++) {
            ClassHooks h = ledger.get(loader, "edge.C" + i);
            if (!h.failures().isEmpty()) {
                assertEquals(Map.of(KEY, "at the edge"), h.failures());
                recorded++;
            }
        }
        assertTrue(recorded > 0, "no record was kept");
    }

    /** Runs {@code work} at the bottom of {@code depth} frames on a fresh thread; whether it got there. */
    private static boolean attempt(int depth, Runnable work) throws InterruptedException {
        boolean[] bottom = new boolean[1];
        Thread t = new Thread(null, () -> {
            try {
                down(depth, () -> {
                    bottom[0] = true;
                    work.run();
                });
            } catch (StackOverflowError e) {
                // the recursion's or the work's: either way the lock must be free afterwards
            }
        }, "ledger-edge", STACK_BYTES);
        t.start();
        t.join(); // orders the thread's writes before the reads below
        return bottom[0];
    }

    private static int edge() throws InterruptedException {
        reached = START;
        Thread t = new Thread(null, () -> {
            try {
                down(START, null);
            } catch (StackOverflowError e) {
                // expected
            }
        }, "ledger-edge-probe", STACK_BYTES);
        t.start();
        t.join();
        return START - reached;
    }

    private static void down(int left, Runnable atBottom) {
        if (left > 0) {
            reached = left;
            down(left - 1, atBottom);
            return;
        }
        if (atBottom != null) {
            atBottom.run();
        }
    }

    private static ReentrantLock lockOf(HookLedger ledger) throws ReflectiveOperationException {
        Field f = HookLedger.class.getDeclaredField("lock");
        f.setAccessible(true);
        return (ReentrantLock) f.get(ledger);
    }
}
