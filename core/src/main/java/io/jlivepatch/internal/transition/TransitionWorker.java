package io.jlivepatch.internal.transition;

import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.patch.RecursionGuard;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Retries the transition in progress until it completes (the kernel's {@code klp_transition_work_fn},
 * which runs as delayed work on a shared workqueue): a few milliseconds first, then backing off to
 * about a second, as long as threads sit in the patch's methods.
 *
 * <p>One thread serves every transition of a registry, one at a time, and parks while there is none:
 * a thread started per transition cost about a tenth of a one-method {@code enable} and one thread
 * start per start-up patch (issue 14). Its thread is started before a transition's commit
 * ({@link #ensureRunning}), because starting a thread is what fails when the JVM is out of native
 * memory and a transition committed without anyone to retry it would never end; the work itself is
 * handed over only after the commit and the registry's own first attempt ({@link #retry}), so the
 * worker never sees a transition that is not in place.
 *
 * <p>Callers hold the registry's lock ({@code klpMutex}) for {@link #ensureRunning} and {@link
 * #retry}; the worker thread reads the work without it.
 */
public final class TransitionWorker {

    private static final long FIRST_DELAY_MS = 2;
    private static final long MAX_DELAY_MS = 1024;

    /** One transition's retries: {@code attempt} until it returns true or {@code ended} does. */
    private record Work(BooleanSupplier attempt, BooleanSupplier ended) {
    }

    /**
     * The work in progress, or {@code null}. Written by {@link #retry} (then the thread is unparked)
     * and by the thread when the work is done (a compare-and-set, so that work handed over meanwhile
     * is not lost); read by the thread before each park.
     */
    private final java.util.concurrent.atomic.AtomicReference<Work> work =
            new java.util.concurrent.atomic.AtomicReference<>();
    /** The thread; replaced only if it died. Guarded by the registry's lock (see the class comment). */
    private Thread thread;

    /**
     * The worker's thread, started now if it is not running. Throws what {@link Thread#start} throws
     * ({@link OutOfMemoryError} when no native thread can be made); nothing changes then.
     */
    public Thread ensureRunning() {
        Thread t = thread;
        if (t == null || !t.isAlive()) {
            t = new Loop(this);
            t.start();
            thread = t;
        }
        return t;
    }

    /**
     * Hands the worker a transition to retry, replacing any earlier work (a transition is retried
     * only while it is the registry's). Plain writes and an unpark: it cannot fail, so it may follow
     * a commit. {@link #ensureRunning} must have been called before the commit.
     */
    public void retry(BooleanSupplier attempt, BooleanSupplier ended) {
        work.set(new Work(attempt, ended));
        // Pairs with the thread's read of work before it parks: a permit given before the park makes
        // the park return at once.
        LockSupport.unpark(thread);
    }

    /** Makes the worker look at its work now (a forced transition ended: it can stop retrying). */
    public void wake() {
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    private static final class Loop extends Thread {
        private final TransitionWorker owner;

        Loop(TransitionWorker owner) {
            // Started by whichever thread first changes a patch (a webapp's, a JMX connection's): it
            // lives as long as the registry, so it inherits neither that thread's thread-locals nor
            // its context class loader, which it would keep reachable (a redeployed webapp's).
            super(null, null, "jlivepatch-transition", 0, false);
            setDaemon(true);
            setContextClassLoader(null);
            this.owner = owner;
        }

        @Override
        public void run() {
            for (;;) {
                // Unmarked: a volatile read and a park, no code a patch can replace (java.util.concurrent
                // is never a target).
                Work w = owner.work.get();
                if (w == null) {
                    LockSupport.park(owner);
                    continue;
                }
                // Marked while it works, not while it waits: a lifelong mark would keep every hook's
                // guard off its constant (RecursionGuard's relaxer). Marked, the hooks it meets run
                // the original: this thread never runs a replacement.
                try {
                    int mark = RecursionGuard.enter();
                    try {
                        retry(w);
                        // Marked too: a first compareAndSet links its VarHandle through java.lang.invoke
                        // code that calls JDK methods a patch may replace (StringBuilder.append).
                        owner.work.compareAndSet(w, null); // work handed over meanwhile stays
                    } finally {
                        RecursionGuard.exit(mark);
                    }
                } catch (RuntimeException | Error e) {
                    // Out of memory around an attempt, say: this thread serves every transition, so
                    // it goes on (the work stays and is retried after a pause) rather than die.
                    LockSupport.parkNanos(owner, TimeUnit.MILLISECONDS.toNanos(MAX_DELAY_MS));
                }
            }
        }

        private void retry(Work w) {
            long delay = FIRST_DELAY_MS;
            while (owner.work.get() == w && !w.ended().getAsBoolean()) {
                // Woken early by a thread that moved itself (Transition.passHookImpl), by new work,
                // or by wake() when the transition was forced.
                LockSupport.parkNanos(owner, TimeUnit.MILLISECONDS.toNanos(delay));
                if (owner.work.get() != w || w.ended().getAsBoolean()) {
                    return;
                }
                try {
                    if (w.attempt().getAsBoolean()) {
                        return;
                    }
                } catch (RuntimeException | Error e) {
                    // The registry's attempt catches what it expects; this thread must outlive the
                    // rest too, or the transition would never end.
                    Log.get().log(System.Logger.Level.ERROR, "transition worker: an attempt failed; retrying", e);
                }
                delay = Math.min(delay * 2, MAX_DELAY_MS);
            }
        }
    }
}
