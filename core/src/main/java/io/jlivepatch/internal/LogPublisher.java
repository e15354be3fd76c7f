package io.jlivepatch.internal;

import io.jlivepatch.internal.patch.RecursionGuard;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * Publishes jlivepatch's log lines from a thread of its own, so that an output that does not take
 * them (a standard error that is a full pipe nobody reads, a handler that hangs) never holds the
 * thread that logs: an operation logs under the registry's lock, and a line that blocked there
 * would block every later operation, {@code status} included. This is the kernel's printk: a
 * line goes into a buffer and the console prints it; a caller never waits on the console for long,
 * and what the buffer cannot hold is counted and reported as dropped.
 *
 * <p>A caller takes its record as the direct call would take it ({@link JulRecords}: time, thread,
 * source), queues it and, in the common case, waits until it is published: the lines come out in
 * the order they were logged, each before the call that logged it returns, as a direct call's do.
 * It stops waiting when the publisher has made no progress for {@link #stuckAfterNanos} (a second):
 * the output is then stuck, the line stays queued (at most {@link #MAX_QUEUED} lines; later ones
 * are dropped and counted) and comes out, in order, once the output takes lines again, followed by
 * a warning that says how many were dropped. The audit file, written by the operation itself, keeps
 * every change either way.
 *
 * <p>Within a window ({@link Log#beginAside()} to {@link Log#endAside()}, the start-up before
 * {@code main}) callers do not wait at all: formatting a line costs milliseconds in a JVM that has
 * compiled nothing yet, and that overlaps the loading of the start-up patches instead of adding
 * to it; closing the window waits until every line is out (or the output is stuck), so that none
 * comes after what the application prints once premain has returned.
 *
 * <p>Only when {@code java.util.logging} is the back-end of {@code System.Logger}, whose records can
 * carry their time, thread and source to another thread; with any other back-end lines are
 * published directly.
 */
final class LogPublisher implements Runnable {

    /** Lines held while the output does not take them; beyond, lines are dropped and counted. */
    static final int MAX_QUEUED = 1000;
    /** Total bound on one caller's wait, even while the output makes progress line by line. */
    private static final long MAX_WAIT_FACTOR = 5;

    /** Nanoseconds without progress after which the output counts as stuck. Tests shorten it. */
    static volatile long stuckAfterNanos = TimeUnit.SECONDS.toNanos(1);

    /**
     * Guards every field below and the owner's {@link CleanLogger#publisher}; waited on by the
     * publisher thread (for lines) and by callers (for their line's publication).
     */
    private static final Object LOCK = new Object();

    private final CleanLogger owner;
    private final JulRecords jul;
    /** The records, as {@link JulRecords} makes them (typed Object: this class must load without java.logging). */
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    /** Records queued and published since the start: a caller waits until {@code published} reaches its number. */
    private long queued;
    private long published;
    /** Lines dropped since the last report of them. */
    private long dropped;
    /** When the publisher last started or finished a line, or a line arrived at an idle publisher. */
    private long lastProgress;
    private boolean busy;
    /**
     * The last line a caller stopped waiting for (the output was stuck): until it is published, later
     * callers do not wait either, so that an output that drains a backlog slowly holds each
     * operation once, not once per line.
     */
    private long gaveUpAt;
    /** Open windows ({@link #begin}): while above zero, callers do not wait. */
    private int windows;
    /** The thread ended (it never should: see run): lines are published directly from then on. */
    private boolean dead;
    /** Asked to format a record before its next line ({@link #warm}); cleared when it starts to. */
    private boolean warmAsked;
    private Thread thread;

    private LogPublisher(CleanLogger owner, JulRecords jul) {
        this.owner = owner;
        this.jul = jul;
    }

    /**
     * The owner's publisher, started on first use; {@code null} when its back-end is not
     * java.util.logging (the owner then logs directly for good) or no thread can be started now
     * (memory: this line goes directly, the next one tries again).
     */
    static LogPublisher of(CleanLogger owner) {
        synchronized (LOCK) {
            if (owner.publisher != null) {
                return owner.publisher;
            }
            if (owner.direct) {
                return null; // the publisher ended (see run): direct for good
            }
            if (!JulRecords.JUL_WRAPPER.equals(owner.delegateClassName())) {
                owner.direct = true;
                return null;
            }
            LogPublisher p = new LogPublisher(owner, new JulRecords(owner.getName()));
            // The first line may be logged by any thread, an application's too: a thread that lives
            // as long as the JVM inherits nothing from it (OwnThread).
            Thread t = new OwnThread(p, "jlivepatch-log");
            t.start();
            p.thread = t;
            owner.publisher = p;
            return p;
        }
    }

    /** Opens a window on the owner's publisher; false when its lines are published directly. */
    static boolean begin(CleanLogger owner) {
        LogPublisher p = of(owner);
        if (p == null) {
            return false;
        }
        synchronized (LOCK) {
            p.windows++;
            return true;
        }
    }

    /**
     * Asks the owner's publisher, if it has an open window, to format a record meanwhile, printing
     * nothing ({@link JulRecords#warmFormatting}): lines are coming, and the first one's formatting
     * in a cold JVM is better done while the caller works than after it, at the window's end.
     */
    static void warm(CleanLogger owner) {
        LogPublisher p = owner.publisher;
        if (p == null) {
            return;
        }
        synchronized (LOCK) {
            if (p.windows > 0) { // once warm, another costs microseconds
                p.warmAsked = true;
                LOCK.notifyAll(); // pairs with the publisher's wait for lines in run
            }
        }
    }

    /**
     * Closes a window: returns once every line queued so far is published, or the output is stuck.
     * Without an open window it only waits likewise.
     */
    static void end(CleanLogger owner) {
        LogPublisher p = owner.publisher;
        if (p == null) {
            return;
        }
        synchronized (LOCK) {
            if (p.windows > 0) {
                p.windows--;
            }
            p.awaitPublished(p.queued, false);
        }
    }

    /**
     * Queues a line of the owner and, outside a window, waits until it is published (or the output
     * is stuck); false when the caller must publish it itself. {@code message} is final: formatted,
     * cleaned, without parameters.
     */
    boolean offer(System.Logger.Level level, String message, Throwable thrown) {
        if (Thread.currentThread() == thread) {
            return false; // logged while publishing (a handler's own trouble): it cannot wait for itself
        }
        Object r = jul.record(level, message, thrown);
        synchronized (LOCK) {
            if (dead) {
                return false;
            }
            if (queue.size() >= MAX_QUEUED && windows > 0 && published >= gaveUpAt) {
                // In a window callers do not wait, so a long start-up can fill the queue of an output
                // that is only slow: wait for room while it makes progress.
                awaitPublished(queued - MAX_QUEUED + 1, false);
            }
            if (queue.size() >= MAX_QUEUED) {
                dropped++; // reported once the output takes lines again (run)
                return true;
            }
            if (!busy && queue.isEmpty()) {
                lastProgress = System.nanoTime(); // the time to make progress starts now
                LOCK.notifyAll(); // pairs with the publisher's wait for lines in run
            }
            queue.add(r);
            long mine = ++queued;
            if (windows == 0 && published >= gaveUpAt) {
                awaitPublished(mine, true);
            }
            return true;
        }
    }

    /**
     * Waits until record {@code n} is published, the publisher has made no progress for
     * {@link #stuckAfterNanos}, or, with {@code bounded}, this caller has waited
     * {@link #MAX_WAIT_FACTOR} times that overall (a window's end waits while lines come out). An
     * interrupt ends the wait and is kept. Caller holds LOCK.
     */
    private void awaitPublished(long n, boolean bounded) {
        long stuck = stuckAfterNanos;
        long start = System.nanoTime();
        boolean interrupted = false;
        while (published < n && !dead) {
            long now = System.nanoTime();
            long left = lastProgress + stuck - now;
            if (bounded) {
                left = Math.min(left, start + stuck * MAX_WAIT_FACTOR - now);
            }
            if (left <= 0) {
                // Stuck (or slow): the line stays queued and comes out when the output takes lines again.
                gaveUpAt = Math.max(gaveUpAt, n);
                break;
            }
            try {
                // Pairs with notifyAll in run after every line.
                TimeUnit.NANOSECONDS.timedWait(LOCK, left);
            } catch (InterruptedException e) {
                interrupted = true;
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void run() {
        try {
            while (true) {
                Object r;
                boolean report = false;
                boolean warming = false;
                synchronized (LOCK) {
                    while (queue.isEmpty() && dropped == 0 && !warmAsked) {
                        try {
                            LOCK.wait(); // pairs with notifyAll in offer
                        } catch (InterruptedException e) {
                            // nothing of jlivepatch's interrupts it; an application that interrupts every
                            // thread must not end jlivepatch's log
                        }
                    }
                    if (warmAsked && queue.isEmpty()) {
                        warming = true; // no line is queued; one queued meanwhile comes out next
                        r = null;
                    } else if (queue.isEmpty()) {
                        // Every line that could be held is out: now say what could not be.
                        r = jul.record(System.Logger.Level.WARNING, dropped + " jlivepatch log lines dropped:"
                                + " the log's output stopped taking lines while " + MAX_QUEUED + " were waiting"
                                + " (the audit file keeps every change)", null);
                        dropped = 0;
                        report = true;
                    } else {
                        r = queue.poll();
                    }
                    warmAsked = false; // a line polled instead warms as much as the warm-up would
                    busy = true;
                    lastProgress = System.nanoTime();
                }
                // Publishing runs JDK code that a patch may have replaced: jlivepatch's own, marked
                // (RecursionGuard) while it publishes, not while it waits.
                // While a publish is stuck the mark stays, and with it the hooks' recursion check
                // (RecursionGuard: the guard does not fold away while a thread is marked).
                int mark = -1; // Recursion.NESTED: releases nothing, should entering fail
                try {
                    mark = RecursionGuard.enterIfActive();
                    if (warming) {
                        jul.warmFormatting();
                    } else {
                        jul.publish(r);
                    }
                } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                    // as a direct call that fails: the line is lost, the next one is published
                } finally {
                    RecursionGuard.exit(mark);
                }
                synchronized (LOCK) {
                    busy = false;
                    if (!report && !warming) {
                        published++;
                    }
                    lastProgress = System.nanoTime();
                    LOCK.notifyAll(); // pairs with the wait in awaitPublished
                }
            }
        } catch (RuntimeException | Error e) {
            // The loop catches what publishing throws; should the thread end anyway (out of memory
            // outside a publish), the queued lines are lost and later ones are published directly.
        } finally {
            synchronized (LOCK) {
                dead = true;
                owner.publisher = null;
                owner.direct = true;
                queue.clear();
                LOCK.notifyAll();
            }
        }
    }
}
