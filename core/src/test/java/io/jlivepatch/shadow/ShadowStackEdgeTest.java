package io.jlivepatch.shadow;

import io.jlivepatch.Shadow;
import io.jlivepatch.StackEdgeSweep;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@code StackOverflowError} at the edge of a thread's stack (a patch's replacement deep in a
 * recursion asking for its shadow variable) never leaves the variable claimed by that thread: the
 * same thread, and any other, can make it afterwards. Threads with a small stack make the call close
 * to their stack's edge, one frame deeper each time, round after round (the JIT compiles meanwhile,
 * each state its own frame sizes), in {@link StackEdgeSweep}'s sweep. Before, an overflow
 * between the store's claim of the entry and its settling left the entry claimed for good: that
 * thread's next {@code getOrAttach} was refused as a ctor asking for its own variable, and every other
 * thread's waited for ever, not interruptibly.
 */
class ShadowStackEdgeTest {

    private static final int STACK_BYTES = 256 * 1024;
    private static final int BELOW_EDGE = 400;
    private static final int ROUNDS = 6;

    private static final AtomicLong NEXT_ID = new AtomicLong(0x5345_4447_0000_0000L);
    private static final IllegalStateException CTOR_FAILS = new IllegalStateException("the ctor fails");

    private int returned;
    private int overflowed;

    @Test
    void anOverflowAtTheStacksEdgeNeverLeavesAVariableClaimed() throws Exception {
        // The store's classes initialized with room: an initializer that overflows fails them for good.
        Object warm = new Object();
        Shadow.attach(warm, NEXT_ID.get(), () -> "warm");
        Shadow.detach(warm, NEXT_ID.get());
        int reachedBottom = StackEdgeSweep.sweepRounds(STACK_BYTES, ROUNDS, BELOW_EDGE, this::attempt);
        assertTrue(returned > 0 && overflowed > 0, "the attempts met both sides of the edge: returned " + returned
                + ", overflowed " + overflowed);
        assertTrue(reachedBottom >= BELOW_EDGE / 4, "the attempts reached the store " + reachedBottom + " times");
    }

    /**
     * One call of the store {@code depth} frames deep on a fresh thread, then, on the same thread with
     * room on its stack, a {@code getOrAttach} of the same variable, which must find or make it; whether
     * the first call returned. Whether the recursion reached its bottom (the call of the store).
     */
    private boolean attempt(int depth) throws Exception {
        Object obj = new Object();
        long id = NEXT_ID.incrementAndGet();
        Object value = new Object();
        int kind = depth % 3;
        // Every lambda made here, with room: one first linked at the edge would fail for good.
        Supplier<Object> makes = () -> value;
        Supplier<Object> fails = () -> {
            throw CTOR_FAILS;
        };
        Runnable op = kind == 0 ? () -> Shadow.getOrAttach(obj, id, makes)
                : kind == 1 ? () -> Shadow.attach(obj, id, makes)
                : () -> {
                    try {
                        Shadow.getOrAttach(obj, id, fails);
                    } catch (IllegalStateException e) {
                        if (e != CTOR_FAILS) {
                            throw e;
                        }
                    }
                };
        boolean[] back = new boolean[1];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // An overflow at the edge is caught: whatever the call claimed must be let go of
        boolean bottom = StackEdgeSweep.atDepth(depth, STACK_BYTES, "shadow-edge-" + depth, () -> {
            op.run();
            back[0] = true;
        }, () -> {
            try {
                Object found = Shadow.getOrAttach(obj, id, makes);
                if (found != value) {
                    failure.set(new AssertionError("getOrAttach after the edge found " + found));
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        if (failure.get() != null) {
            throw new AssertionError("after a call " + depth + " frames deep (kind " + kind + "), the thread's"
                    + " next getOrAttach of the variable failed", failure.get());
        }
        // Another thread finds what the attempt's thread attached, without waiting for a ctor.
        assertSame(value, Shadow.getOrAttach(obj, id, () -> new Object()));
        Shadow.detach(obj, id);
        if (back[0]) {
            returned++;
        } else {
            overflowed++;
        }
        return bottom;
    }
}
