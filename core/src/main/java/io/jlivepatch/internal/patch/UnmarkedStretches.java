package io.jlivepatch.internal.patch;

import io.jlivepatch.internal.Log;

import java.util.concurrent.TimeUnit;

/**
 * The stretches of jlivepatch's own code that began unmarked because the recursion guard was not
 * installed yet ({@link RecursionGuard#enterIfActive()} before activation) and have not ended: the
 * control socket opening, a JMX attribute read, a log line being published. Activation waits for them
 * ({@link #awaitOthers}) once the guard is installed and before any hook can exist, so that no such
 * stretch goes on unmarked while a patch's replacement of a JDK method it uses is live.
 *
 * <p>Each stretch records its thread, so that the activating thread does not wait for a stretch of
 * its own (a JMX read that ends up activating, say); that thread marks itself instead for the rest of
 * its own stretches ({@link #adopt}), which release the mark when the outermost of them ends. Everything is under this object's monitor: a
 * stretch's begin and end are a monitor enter and exit each, and they call no JDK method that a patch
 * could replace (the end runs once hooks may exist). No thread-local: it would add classes to a JVM
 * that never gets a patch.
 */
final class UnmarkedStretches {

    /**
     * The first mark {@link #begin} hands out; the others are below it. Below {@code Recursion}'s
     * marks too (a slot from 0 up, {@code NESTED} -1, {@code FULL} -2), so that {@link RecursionGuard#exit}
     * tells them apart ({@link #isStretch}).
     */
    static final int FIRST = -3;

    /** {@link #end}: no real mark to release. */
    static final int NONE = Integer.MIN_VALUE;

    /** The thread of each stretch in progress, or null; under this object's monitor. */
    private final Thread[] owners;
    /** The real mark each stretch carries since {@link #adopt}, or {@link #NONE}; under this object's monitor. */
    private final int[] marks;
    /** The mark of a stretch that found every slot taken: counted, its thread not recorded. */
    private final int unslottedMark;
    /** How many such stretches are in progress; under this object's monitor. */
    private int unslotted;
    /** How many threads wait in {@link #awaitOthers}; under this object's monitor. */
    private int waiters;

    UnmarkedStretches(int slots) {
        owners = new Thread[slots];
        marks = new int[slots];
        unslottedMark = FIRST - slots;
    }

    static boolean isStretch(int mark) {
        return mark <= FIRST;
    }

    /** Counts a stretch of the calling thread; returns the mark {@link #end} takes. */
    int begin() {
        Thread self = Thread.currentThread();
        synchronized (this) {
            for (int i = 0; i < owners.length; i++) {
                if (owners[i] == null) {
                    owners[i] = self;
                    marks[i] = NONE;
                    return FIRST - i;
                }
            }
            unslotted++; // more stretches at once than slots: still waited for, only not told apart
            return unslottedMark;
        }
    }

    /**
     * Ends the stretch {@code mark} (from {@link #begin}) stands for, on the thread that began it.
     *
     * @return the real mark to release now ({@link #adopt}: when no other stretch of this thread
     *         carries it any more), else {@link #NONE}
     */
    int end(int mark) {
        synchronized (this) {
            int real = NONE;
            if (mark == unslottedMark) {
                unslotted--;
            } else {
                int i = FIRST - mark;
                Thread self = owners[i];
                real = marks[i];
                owners[i] = null;
                marks[i] = NONE;
                for (int j = 0; j < owners.length && real != NONE; j++) {
                    if (owners[j] == self && marks[j] == real) {
                        real = NONE; // an enclosing stretch of this thread carries it on
                    }
                }
            }
            if (waiters != 0) {
                notifyAll(); // pairs with the wait in awaitOthers, which looks again
            }
            return real;
        }
    }

    /** Whether {@code self} has a stretch (with a slot) in progress. */
    synchronized boolean hasOwn(Thread self) {
        for (Thread t : owners) {
            if (t == self) {
                return true;
            }
        }
        return false;
    }

    /**
     * Has every stretch of {@code self} in progress carry {@code realMark} (the calling thread's, taken
     * once the guard is installed): the last of them to end hands it back for release ({@link #end}).
     */
    synchronized void adopt(Thread self, int realMark) {
        for (int i = 0; i < owners.length; i++) {
            if (owners[i] == self) {
                marks[i] = realMark;
            }
        }
    }

    /** Whether a stretch is in progress on any thread; for tests. */
    synchronized boolean anyInProgress() {
        return inProgress(null) != null;
    }

    /**
     * Waits until every stretch of a thread other than {@code self} has ended, for at most
     * {@code timeoutNanos}: the caller may hold locks that such a stretch waits for (the registry's),
     * so the wait is bounded and, when it ends with a stretch still running, logs a WARNING that says so.
     * An interruption does not end the wait (activation must not be cut short by it); it is kept.
     *
     * @return whether no other thread's stretch is in progress now
     */
    boolean awaitOthers(Thread self, long timeoutNanos) {
        String still;
        boolean interrupted = false;
        synchronized (this) {
            waiters++;
            try {
                long deadline = System.nanoTime() + timeoutNanos;
                for (;;) {
                    still = inProgress(self);
                    long left = deadline - System.nanoTime();
                    if (still == null || left <= 0) {
                        break;
                    }
                    try {
                        TimeUnit.NANOSECONDS.timedWait(this, left); // woken by end's notifyAll
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                waiters--;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (still == null) {
            return true;
        }
        try {
            Log.get().log(System.Logger.Level.WARNING, "jlivepatch's own code that began before jlivepatch installed"
                    + " its hooks was still running after " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms, on"
                    + " thread(s) " + still + "; jlivepatch goes on installing them: until that code ends it is not"
                    + " marked as jlivepatch's, so a patch enabled meanwhile that replaces a JDK method it uses runs"
                    + " there too (README: 'Recursion protection')");
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            // A logging back-end that fails must not turn a timed-out wait into a failed installation
            // (activation remembers a failure for good): the installation goes on.
        }
        return false;
    }

    /**
     * The threads other than {@code self} with a stretch in progress, by name, or null when there is
     * none; under the monitor. A stretch that found no slot may be {@code self}'s: it counts.
     */
    private String inProgress(Thread self) {
        StringBuilder names = null;
        for (Thread t : owners) {
            if (t != null && t != self) {
                names = names == null ? new StringBuilder() : names.append(", ");
                names.append('\'').append(t.getName()).append('\'');
            }
        }
        if (unslotted != 0) {
            names = names == null ? new StringBuilder() : names.append(" and ");
            names.append(unslotted).append(" more");
        }
        return names == null ? null : names.toString();
    }
}
