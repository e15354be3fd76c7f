package io.jlivepatch.internal.transition;

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
     * Starts a daemon thread that calls {@code attempt} until it returns true or {@code ended} does.
     *
     * @param attempt one try: moves what threads it can and completes the transition when all moved
     */
    public static Thread start(String patchName, BooleanSupplier attempt, BooleanSupplier ended) {
        Thread worker = new Thread(() -> {
            long delay = FIRST_DELAY_MS;
            while (!ended.getAsBoolean()) {
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    return; // the registry ended the transition (forced or completed)
                }
                if (ended.getAsBoolean() || attempt.getAsBoolean()) {
                    return;
                }
                delay = Math.min(delay * 2, MAX_DELAY_MS);
            }
        }, "jlivepatch-transition-" + patchName);
        worker.setDaemon(true);
        worker.start();
        return worker;
    }
}
