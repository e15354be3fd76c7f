package io.jlivepatch.internal.bootstrap;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The kernel's {@code ftrace_test_recursion_trylock}: marks the threads that run jlivepatch's own
 * code, so that every hook they meet runs the original method. Without it, a patch of a JDK method
 * that jlivepatch itself uses on the hook path ({@code HashMap.hash}, {@code ThreadLocal.get},
 * {@code ArrayList.get}, {@code java.util.logging.Logger.log}) would send the hook back into
 * jlivepatch, and so on until the stack overflows; and a thread of jlivepatch's own (transition
 * worker, JMX, start-up loader) would run a patch's replacement.
 *
 * <p>The check is on the hot path of every hooked call, so it allocates nothing and uses no JDK
 * collection, only classes that cannot be hooked ({@code java.util.concurrent.atomic},
 * {@code Thread}, the native {@code System.identityHashCode}). Its fast path, while no thread is
 * inside jlivepatch, is one volatile read. Marked threads sit in a small open-addressed table of
 * slots, probed from the thread's identity hash; a thread only ever looks for itself, so what it
 * wrote is what it reads (program order), and the only cross-thread race is two threads claiming
 * the same free slot, which the compare-and-set settles.
 *
 * <p>Loaded from the bootstrap class path (like {@link Dispatch}, which marks its own bootstrap);
 * the rest of jlivepatch reaches it through method handles.
 */
public final class Recursion {

    /** {@link #enter()}: the thread was already inside; its outer {@code enter} releases the mark. */
    public static final int NESTED = -1;
    /** {@link #enter()}: every slot is taken; the thread runs unmarked (hooks run as for any thread). */
    public static final int FULL = -2;

    private static final int SLOTS = 1024;
    private static final int MASK = SLOTS - 1;

    /** The marked threads. A slot is claimed by CAS from null and released by its owner only. */
    private static final AtomicReferenceArray<Thread> OWNERS = new AtomicReferenceArray<>(SLOTS);
    /** How many slots are claimed: zero is the fast path of {@link #outside()}. */
    private static final AtomicInteger INSIDE = new AtomicInteger();
    /** The farthest any thread ever had to probe from its hash; only grows. */
    private static final AtomicInteger MAX_PROBE = new AtomicInteger();

    private Recursion() {
    }

    /** Whether the calling thread runs no jlivepatch code: the guard every hook consults first. */
    public static boolean outside() {
        // A thread sees its own increment (program order); other threads' marks only send it
        // down the slow path, which looks for this thread alone.
        return INSIDE.get() == 0 || !marked(Thread.currentThread());
    }

    /**
     * Marks the calling thread as running jlivepatch's code until {@link #exit(int)}.
     *
     * @return the slot to give back to {@code exit}, or {@link #NESTED} / {@link #FULL}
     */
    public static int enter() {
        Thread self = Thread.currentThread();
        if (INSIDE.get() != 0 && marked(self)) {
            return NESTED;
        }
        int h = System.identityHashCode(self);
        for (int i = 0; i < SLOTS; i++) {
            int slot = (h + i) & MASK;
            if (OWNERS.get(slot) == null && OWNERS.compareAndSet(slot, null, self)) {
                // Raised before this thread's next check, which is all that reads it for this thread.
                int max;
                while (i > (max = MAX_PROBE.get()) && !MAX_PROBE.compareAndSet(max, i)) {
                    Thread.onSpinWait();
                }
                INSIDE.incrementAndGet();
                return slot;
            }
        }
        return FULL;
    }

    /** Ends what the matching {@link #enter()} began. */
    public static void exit(int slot) {
        if (slot >= 0) {
            INSIDE.decrementAndGet();
            OWNERS.set(slot, null);
        }
    }

    private static boolean marked(Thread self) {
        int h = System.identityHashCode(self);
        int max = MAX_PROBE.get();
        for (int i = 0; i <= max; i++) {
            if (OWNERS.get((h + i) & MASK) == self) {
                return true;
            }
        }
        return false;
    }
}
