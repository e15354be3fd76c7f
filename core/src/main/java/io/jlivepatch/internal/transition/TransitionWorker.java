package io.jlivepatch.internal.transition;

import io.jlivepatch.internal.patch.RecursionGuard;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Retries a transition until it completes (the kernel's {@code klp_transition_work_fn}): a few
 * milliseconds first, then backing off to about a second, as long as threads sit in the patch's
 * methods.
 */
public final class TransitionWorker {

    private static final long FIRST_DELAY_MS = 2;
    private static final long MAX_DELAY_MS = 1024;

    private TransitionWorker() {
    }

    /**
     * A daemon thread, not yet started, that calls {@code attempt} until it returns true or
     * {@code ended} does.
     *
     * @param attempt one try: moves what threads it can and completes the transition when all moved
     */
    public static Thread start(String patchName, BooleanSupplier attempt, BooleanSupplier ended) {
        Thread worker = new Thread(() -> {
            // jlivepatch's own thread: never runs a replacement, and hooks it meets run the original.
            int mark = RecursionGuard.enter();
            try {
                retry(attempt, ended);
            } finally {
                RecursionGuard.exit(mark);
            }
        }, "jlivepatch-transition-" + patchName);
        worker.setDaemon(true);
        return worker;
    }

    private static void retry(BooleanSupplier attempt, BooleanSupplier ended) {
        long delay = FIRST_DELAY_MS;
        while (!ended.getAsBoolean()) {
            // Woken early by a thread that moved itself (Transition.passHookImpl), or by the
            // registry's interrupt when the transition was forced.
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(delay));
            if (Thread.interrupted() || ended.getAsBoolean() || attempt.getAsBoolean()) {
                return;
            }
            delay = Math.min(delay * 2, MAX_DELAY_MS);
        }
    }
}
