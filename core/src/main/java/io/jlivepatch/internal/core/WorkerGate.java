package io.jlivepatch.internal.core;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Holds a transition's worker back until the transition is committed. The worker thread is started
 * before anything changes, because starting a thread is what fails when the JVM is out of native
 * memory: a refused enable must leave no half state behind, and one without its worker would never
 * end. Opened once the transition is in place, abandoned when it was refused.
 *
 * <p>The worker's first look comes {@link #FIRST_LOOK} after the opening, as when the worker was
 * started only then: the registry's synchronous attempt has just looked, and a caller that
 * follows an operation at once with another (a {@code force} after a {@code disable}) meets the
 * transition as that caller left it.
 */
final class WorkerGate {

    /** TransitionWorker's first delay. */
    private static final long FIRST_LOOK = TimeUnit.MILLISECONDS.toNanos(2);

    private final CountDownLatch decided = new CountDownLatch(1);
    // Written before the countDown, read after await or after seeing the count at zero: the latch
    // orders the two.
    private volatile boolean abandoned;
    // Written before the countDown, read after await: the latch orders the two.
    private volatile long openedAt;

    void open() {
        openedAt = System.nanoTime();
        decided.countDown();
    }

    void abandon() {
        abandoned = true;
        decided.countDown();
    }

    /** Whether the transition was committed (the worker may work on it). */
    boolean isOpen() {
        return decided.getCount() == 0 && !abandoned;
    }

    boolean isAbandoned() {
        return abandoned;
    }

    /**
     * Waits for the decision, then for the first look to be due; true when the worker may work,
     * false when it should end. Like the worker's own park, an unpark (a thread that moved itself)
     * or an interrupt (force) ends the wait for the first look early.
     */
    boolean awaitOpen() {
        try {
            decided.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        if (abandoned) {
            return false;
        }
        long due = openedAt + FIRST_LOOK - System.nanoTime();
        if (due > 0) {
            LockSupport.parkNanos(due);
        }
        return true;
    }
}
