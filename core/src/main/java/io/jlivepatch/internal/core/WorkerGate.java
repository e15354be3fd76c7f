package io.jlivepatch.internal.core;

import java.util.concurrent.CountDownLatch;

/**
 * Holds a transition's worker back until the transition is committed. The worker thread is started
 * before anything changes, because starting a thread is what fails when the JVM is out of native
 * memory: a refused enable must leave no half state behind, and one without its worker would never
 * end. Opened once the transition is in place, abandoned when it was refused.
 */
final class WorkerGate {

    private final CountDownLatch decided = new CountDownLatch(1);
    // Written before the countDown, read after await or after seeing the count at zero: the latch
    // orders the two.
    private volatile boolean abandoned;

    void open() {
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

    /** Waits for the decision; true when the worker may work, false when it should end. */
    boolean awaitOpen() {
        try {
            decided.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        return !abandoned;
    }
}
