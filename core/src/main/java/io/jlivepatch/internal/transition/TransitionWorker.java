package io.jlivepatch.internal.transition;

import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.OwnThread;
import io.jlivepatch.internal.patch.RecursionGuard;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Retries the transition in progress until it completes (the kernel's {@code klp_transition_work_fn},
 * which runs as delayed work on a shared workqueue): a first look {@link #FIRST_DELAY_MS} after the
 * hand-over, then backing off to about a second, as long as threads sit in the patch's methods.
 *
 * <p>One thread serves the registry's transitions, one at a time, and parks between them: a thread
 * started per transition cost about a tenth of a one-method {@code enable} and one thread start per
 * start-up patch (issue 14). Its life cycle:
 * <ul>
 *   <li>It is <em>made</em> ahead, on jlivepatch's own thread (at install, or by the thread it
 *       succeeds): a thread made by the first webapp thread to enable a patch would keep that
 *       webapp's loader for good on JDK 17 ({@link OwnThread}).</li>
 *   <li>It is <em>started</em> before a transition's commit ({@link #ensureRunning}), because
 *       starting a thread is what fails without native memory, and a committed transition with
 *       nobody to retry it would never end; the work is made before the commit too ({@link #prepare}),
 *       and handed over only after the commit and the registry's own first attempt ({@link #publish},
 *       which allocates nothing), so it never sees a transition not in place.</li>
 *   <li>It <em>retires</em> once it has completed a transition itself ({@link #retireIfCurrent}),
 *       whose closing callbacks (a patch's code) ran on it: whatever they left on the thread
 *       (thread-locals, a context class loader, an interrupt) ends with it, as it did when each
 *       transition had a thread of its own. A transition that the registry's first attempt completes,
 *       the common case, never involves the worker.</li>
 * </ul>
 *
 * <p>Callers hold the registry's lock ({@code klpMutex}) for {@link #ensureRunning}, {@link #publish},
 * {@link #wake} and {@link #retireIfCurrent}; the worker thread reads the work without it.
 */
public final class TransitionWorker {

    private static final long FIRST_DELAY_MS = 2;
    private static final long MAX_DELAY_MS = 1024;

    private static final long FIRST_DELAY_NS = TimeUnit.MILLISECONDS.toNanos(FIRST_DELAY_MS);

    /**
     * One transition's retries, one hand-over: {@code attempt} until it returns true or {@code ended}
     * does. Made by {@link #prepare} before the transition's commit, with whatever it needs (the
     * caller's suppliers, made then too), so that {@link #publish} after the commit has nothing left
     * to make; a new one per hand-over, so that the worker sees new work ({@code work.get() != w})
     * and starts its back-off from the first step (a reversal).
     */
    public static final class Work {
        private final BooleanSupplier attempt;
        private final BooleanSupplier ended;
        /**
         * When the first look is due: set by {@link #publish}, from the hand-over, not from
         * {@link #prepare} (the registry's own first attempt comes between). A plain field: written
         * before the volatile write of {@code work} that publishes it, read by the worker after its
         * volatile read of {@code work}.
         */
        private long firstLookAt;
        /** Set by the one publish this object may have; a second would move firstLookAt under the worker. */
        private boolean published;

        private Work(BooleanSupplier attempt, BooleanSupplier ended) {
            this.attempt = attempt;
            this.ended = ended;
        }
    }

    /**
     * The work in progress, or {@code null}. Written by {@link #publish} (then the thread is unparked)
     * and by the thread when the work is done (a compare-and-set, so that work handed over meanwhile
     * stays); read by the thread before each park.
     */
    private final AtomicReference<Work> work = new AtomicReference<>();
    /** The thread serving now, or null; written under klpMutex, read by the threads (retirement). */
    private volatile Loop current;
    /** The next thread, made and not started; under klpMutex. */
    private Loop next;

    /** Makes the first thread (not started): see the class comment for why here. */
    public TransitionWorker() {
        next = new Loop(this);
        // A first publish resolves what a method's first run resolves, which allocates (160 to 280
        // bytes on JDK 17 and 25): done here, before any commit and with no thread to see the work, so
        // that the first publish after a commit allocates nothing either. Empty work: lambdas would be
        // classes more at every install (FootprintIT), and publish never calls the suppliers.
        publish(prepare(null, null));
        work.set(null);
    }

    /**
     * The worker's thread, started now if none serves. Throws what {@link Thread#start} throws
     * ({@link OutOfMemoryError} when no native thread can be made); nothing changes then, and the
     * same thread is started by the next call.
     */
    public Thread ensureRunning() {
        Loop t = current;
        if (t != null && t.isAlive() && !t.retired) {
            return t;
        }
        Loop n = next;
        if (n == null) {
            // The previous thread died unexpectedly, or its successor could not be made: made here.
            n = new Loop(this);
        }
        next = n; // kept if start fails: a thread whose start failed can be started again
        n.start();
        next = null;
        current = n;
        return n;
    }

    /**
     * The hand-over of a transition to retry, made now, before the transition's commit: everything
     * that allocates happens here, where a failure (out of memory) still refuses the operation with
     * nothing changed. Publish it with {@link #publish} once the transition is committed.
     */
    public Work prepare(BooleanSupplier attempt, BooleanSupplier ended) {
        return new Work(attempt, ended);
    }

    /**
     * Hands the worker {@code w} (made by {@link #prepare}, published at most once), replacing any
     * earlier work (a transition is retried only while it is the registry's); its first look comes
     * {@link #FIRST_DELAY_MS} from now. It follows a commit, so it must not fail: a committed
     * transition that nobody retries stays until an operator forces it. Hence plain writes, a clock
     * read and an unpark, and no allocation (TransitionWorkerTest measures it). {@link #ensureRunning}
     * must have been called before the commit.
     */
    public void publish(Work w) {
        if (w.published) {
            return; // a caller's bug; throwing here would be the failure this method must not have
        }
        w.published = true;
        w.firstLookAt = System.nanoTime() + FIRST_DELAY_NS;
        work.set(w);
        // Pairs with the thread's read of work before it parks: a permit given before the park makes
        // the park return at once.
        LockSupport.unpark(current);
    }

    /** {@link #prepare} and {@link #publish} at once, where no commit comes between (tests). */
    void retry(BooleanSupplier attempt, BooleanSupplier ended) {
        publish(prepare(attempt, ended));
    }

    /** Makes the worker look at its work now (a forced transition ended: it can stop retrying). */
    public void wake() {
        Loop t = current;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /**
     * Called by the registry when a transition ends (its closing callbacks have run): if the calling
     * thread is the worker, it ends once this attempt returns, and the next transition starts its
     * successor, made now on this thread. Caller holds klpMutex.
     */
    public void retireIfCurrent() {
        Loop t = current;
        if (Thread.currentThread() != t) {
            return;
        }
        t.retired = true;
        if (next == null) {
            try {
                next = new Loop(this);
            } catch (OutOfMemoryError e) {
                // made by the next ensureRunning instead
            }
        }
    }

    private static final class Loop extends OwnThread {
        private final TransitionWorker owner;
        /** Set under klpMutex by retireIfCurrent, on this thread; read by it and by ensureRunning. */
        volatile boolean retired;

        Loop(TransitionWorker owner) {
            super(null, "jlivepatch-transition");
            this.owner = owner;
        }

        @Override
        public void run() {
            while (!retired) {
                OwnThread.clearApplicationInterrupt(); // a force wakes it with an unpark, never an interrupt
                // Unmarked: a volatile read and a park, no code a patch can replace (java.util.concurrent
                // is never a target).
                Work w = owner.work.get();
                if (w == null) {
                    LockSupport.park(owner);
                    continue;
                }
                try {
                    serve(w);
                } catch (RuntimeException | Error e) {
                    // Out of memory around an attempt, say: the work stays and is retried after a pause.
                    LockSupport.parkNanos(owner, TimeUnit.MILLISECONDS.toNanos(MAX_DELAY_MS));
                }
            }
        }

        /** Retries {@code w} until it completes, ends, or is replaced. */
        private void serve(Work w) {
            // The first look comes when it is due, whatever wakes this thread before: the registry has
            // just looked, and a caller that follows an operation at once with another (a force after
            // a disable) meets the transition as it left it. Only the end of the transition (a force:
            // wake) or new work cuts it short.
            for (long left = w.firstLookAt - System.nanoTime(); left > 0; left = w.firstLookAt - System.nanoTime()) {
                if (owner.work.get() != w) {
                    return;
                }
                if (w.ended.getAsBoolean()) {
                    clear(w);
                    return;
                }
                OwnThread.clearApplicationInterrupt();
                LockSupport.parkNanos(owner, left);
            }
            long delay = FIRST_DELAY_MS;
            while (owner.work.get() == w) {
                if (w.ended.getAsBoolean()) {
                    // Ended elsewhere (forced, or completed by an operation's own attempt): cleared, or
                    // run() would find it again at once and serve it again, spinning until new work came.
                    clear(w);
                    return;
                }
                if (attempt(w)) {
                    return;
                }
                // Woken early by a thread that moved itself (Transition.passHookImpl), by new work, or
                // by wake() when the transition was forced.
                OwnThread.clearApplicationInterrupt();
                LockSupport.parkNanos(owner, TimeUnit.MILLISECONDS.toNanos(delay));
                delay = Math.min(delay * 2, MAX_DELAY_MS);
            }
        }

        /**
         * One attempt, marked (RecursionGuard): the hooks it meets run the original, and this thread
         * never runs a replacement. Marked only here, not while it parks: a mark held through the
         * back-off of a transition held for hours would keep every hook's guard off its constant.
         *
         * @return whether the work is done (the transition completed here)
         */
        private boolean attempt(Work w) {
            int mark = RecursionGuard.enter();
            try {
                boolean done;
                try {
                    done = w.attempt.getAsBoolean();
                } catch (RuntimeException | Error e) {
                    // The registry's attempt catches what it expects; this thread must outlive the
                    // rest too, or the transition would never end.
                    Log.get().log(System.Logger.Level.ERROR, "transition worker: an attempt failed; retrying", e);
                    return false;
                }
                if (done) {
                    // Marked too: a first compareAndSet links its VarHandle through java.lang.invoke
                    // code that calls JDK methods a patch may replace (StringBuilder.append).
                    owner.work.compareAndSet(w, null); // work handed over meanwhile stays
                }
                return done;
            } finally {
                RecursionGuard.exit(mark);
            }
        }

        /** Clears {@code w}, ended, unless work was handed over meanwhile; marked as in {@link #attempt}. */
        private void clear(Work w) {
            int mark = RecursionGuard.enter();
            try {
                owner.work.compareAndSet(w, null);
            } finally {
                RecursionGuard.exit(mark);
            }
        }
    }
}
