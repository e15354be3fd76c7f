package io.jlivepatch.internal.patch;

import io.jlivepatch.internal.Log;

import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;

/**
 * The stretches of jlivepatch's own code that began unmarked because the recursion guard was not
 * installed yet ({@link RecursionGuard#enterIfActive()} before activation) and have not ended: the
 * control socket opening, a JMX attribute read, a log line being published, a class definition the
 * transformer looks at. Activation, once the guard is installed and before any hook can exist, gives
 * each of their threads a real mark ({@link #adoptAll}) that the outermost of its stretches releases
 * when it ends, so that no such stretch goes on unmarked while a patch's replacement of a JDK method
 * it uses is live; it waits ({@link #awaitUnadopted}) only for the stretches it could not mark.
 *
 * <p>Each stretch records its thread in a slot, which is what lets activation mark it; a stretch that
 * finds every slot taken is only counted, and waited for. Everything is under this object's monitor:
 * a stretch's begin and end are a monitor enter and exit each, and they call no JDK method that a
 * patch could replace (the end runs once hooks may exist). No thread-local: it would add classes to a
 * JVM that never gets a patch.
 */
final class UnmarkedStretches {

    /**
     * The first mark {@link #begin} hands out; the others are below it. Below {@code Recursion}'s
     * marks too (a slot from 0 up, {@code NESTED} -1, {@code FULL} -2, {@code NO_STACK} -3), so that
     * {@link RecursionGuard#exit} tells them apart ({@link #isStretch}).
     */
    static final int FIRST = -4;

    /** {@link #end}: no real mark to release. */
    static final int NONE = Integer.MIN_VALUE;

    /** The thread of each stretch in progress, or null; under this object's monitor. */
    private final Thread[] owners;
    /** The real mark each stretch carries since {@link #adoptAll}, or {@link #NONE}; under this object's monitor. */
    private final int[] marks;
    /** The mark of a stretch that found every slot taken: counted, its thread not recorded. */
    private final int unslottedMark;
    /** How many such stretches are in progress; under this object's monitor. */
    private int unslotted;
    /** How many threads wait in {@link #awaitUnadopted}; under this object's monitor. */
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
     * @return the real mark to release now ({@link #adoptAll}: when no other stretch of this thread
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
                notifyAll(); // pairs with the wait in awaitUnadopted, which looks again
            }
            return real;
        }
    }

    /**
     * Gives every stretch in progress that carries no mark yet the real mark of its thread, taken by
     * {@code markFor} (the guard's {@code Recursion.enterFor}) once per thread and
     * carried by all of that thread's stretches: the last of them to end hands it back for release
     * ({@link #end}). A thread that {@code markFor} cannot mark (a negative answer) stays unmarked and
     * is waited for ({@link #awaitUnadopted}). Under the monitor, so no stretch ends meanwhile: a
     * stretch's thread reads its mark only in {@link #end}. {@code markFor} takes {@code Recursion}'s
     * switch lock at times: this monitor first, then that lock, never the reverse.
     */
    synchronized void adoptAll(ToIntFunction<Thread> markFor) {
        for (int i = 0; i < owners.length; i++) {
            Thread t = owners[i];
            if (t == null || marks[i] != NONE) {
                continue;
            }
            int m = NONE;
            for (int j = 0; j < owners.length && m == NONE; j++) {
                if (owners[j] == t && marks[j] != NONE) {
                    m = marks[j]; // this thread is marked already (a retried activation; or a stretch
                                  // it began while an activation ran)
                }
            }
            if (m == NONE) {
                try {
                    m = markFor.applyAsInt(t);
                } catch (VirtualMachineError e) {
                    throw e; // out of memory or stack: the activation fails, and is tried again later
                } catch (RuntimeException | Error e) {
                    m = NONE; // Recursion.enterFor throws nothing else
                }
                if (m < 0) {
                    continue;
                }
            }
            for (int j = i; j < owners.length; j++) {
                if (owners[j] == t && marks[j] == NONE) {
                    marks[j] = m;
                }
            }
        }
    }

    /** Whether a stretch is in progress on any thread; for tests. */
    synchronized boolean anyInProgress() {
        for (Thread t : owners) {
            if (t != null) {
                return true;
            }
        }
        return unslotted != 0;
    }

    /** Whether {@code thread} has a stretch in progress that carries a mark; for tests. */
    synchronized boolean carriesMark(Thread thread) {
        for (int i = 0; i < owners.length; i++) {
            if (owners[i] == thread && marks[i] != NONE) {
                return true;
            }
        }
        return false;
    }

    /**
     * Waits until every stretch that carries no mark ({@link #adoptAll}: one that found no slot, or
     * whose thread could not be marked) of a thread other than {@code self} has ended, for at most
     * {@code timeoutNanos}: the caller may hold locks that such a stretch waits for (the registry's),
     * so the wait is bounded and, when it ends with a stretch still running, logs a WARNING that says so.
     * An interruption does not end the wait (activation must not be cut short by it); it is kept.
     *
     * @return whether no other thread's unmarked stretch is in progress now
     */
    boolean awaitUnadopted(Thread self, long timeoutNanos) {
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
                    + " its hooks, and that it could not mark, was still running after "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms (" + still + "); jlivepatch goes on"
                    + " installing them: until that code ends it is not"
                    + " marked as jlivepatch's, so a patch enabled meanwhile that replaces a JDK method it uses runs"
                    + " there too (README: 'Recursion protection')");
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            // A logging back-end that fails must not turn a timed-out wait into a failed installation
            // (activation remembers a failure for good): the installation goes on.
        }
        return false;
    }

    /**
     * The stretches in progress that carry no mark, of threads other than {@code self}, as the
     * warning names them ({@code thread(s) 'a', 'b' and 2 stretch(es) on threads not recorded}), or
     * null when there is none; under the monitor. A stretch that found no slot may be {@code self}'s:
     * it counts.
     */
    private String inProgress(Thread self) {
        StringBuilder names = null;
        for (int i = 0; i < owners.length; i++) {
            Thread t = owners[i];
            if (t != null && t != self && marks[i] == NONE) {
                names = names == null ? new StringBuilder("thread(s) ") : names.append(", ");
                names.append('\'').append(t.getName()).append('\'');
            }
        }
        if (unslotted != 0) {
            names = names == null ? new StringBuilder() : names.append(" and ");
            names.append(unslotted).append(" stretch(es) on threads not recorded (more at once than ")
                    .append(owners.length).append(')');
        }
        return names == null ? null : names.toString();
    }
}
