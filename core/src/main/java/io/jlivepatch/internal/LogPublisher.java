package io.jlivepatch.internal;

import io.jlivepatch.internal.patch.RecursionGuard;

import java.util.ArrayDeque;

/**
 * Publishes jlivepatch's log lines from a thread of its own while the start-up goes on, so that
 * formatting them (with {@code java.util.logging}'s default formatter, a few milliseconds a line in
 * a JVM that has compiled nothing yet) overlaps the loading of the start-up patches instead of
 * adding to it. A window, opened and closed by the thread that runs the start-up
 * ({@link Log#beginAside()}, {@link Log#endAside()}): the lines logged inside it are taken on the
 * calling thread as the direct call would take them ({@link JulRecords}: time, thread, source) and
 * queued; the publisher thread publishes them in the order they were queued; closing waits until
 * every one of them is out, so that the window ends with nothing pending: no line is lost, and
 * none comes after what the application prints once premain has returned.
 *
 * <p>Only when {@code java.util.logging} is the back-end of {@code System.Logger}, whose records can
 * carry their time, thread and source to another thread; with any other back-end lines are
 * published directly, as outside the window.
 */
final class LogPublisher implements Runnable {

    /**
     * Guards {@link #current}, the owner's {@link CleanLogger#aside}, {@link #queue} and
     * {@link #closing}; waited on by the publisher thread.
     */
    private static final Object LOCK = new Object();
    /** The open window, or {@code null}. Guarded by LOCK. */
    private static LogPublisher current;

    private final CleanLogger owner;
    private final JulRecords jul;
    /** The records, as {@link JulRecords} makes them (typed Object: this class must load without java.logging). */
    private final ArrayDeque<Object> queue = new ArrayDeque<>();
    private boolean closing;
    /** Held while a batch is published, by the thread or by close: one publisher at a time keeps the order. */
    private final Object publishing = new Object();
    private Thread thread;

    private LogPublisher(CleanLogger owner, JulRecords jul) {
        this.owner = owner;
        this.jul = jul;
    }

    /** Opens the window for {@code owner}'s lines; false (nothing opened) when its back-end is not java.util.logging. */
    static boolean open(CleanLogger owner) {
        if (!JulRecords.JUL_WRAPPER.equals(owner.delegateClassName())) {
            return false;
        }
        synchronized (LOCK) {
            if (current != null) {
                return false; // one window at a time; a second start-up (attach) logs directly
            }
            LogPublisher p = new LogPublisher(owner, new JulRecords(owner.getName()));
            Thread t = new Thread(p, "jlivepatch-log");
            t.setDaemon(true); // never holds the JVM: close joins it
            t.start();
            p.thread = t;
            current = p;
            owner.aside = p; // its lines come here from now on
            return true;
        }
    }

    /**
     * Queues a line of the owner while the window is open; false when the caller must publish it
     * itself. {@code message} is final: formatted, cleaned, without parameters.
     */
    boolean offer(System.Logger.Level level, String message, Throwable thrown) {
        Object r = jul.record(level, message, thrown);
        synchronized (LOCK) {
            if (current != this) {
                return false; // closed meanwhile: every queued line is out, this one goes directly after them
            }
            if (queue.isEmpty()) {
                LOCK.notifyAll(); // pairs with the wait in run, which waits only for an empty queue
            }
            queue.add(r);
            return true;
        }
    }

    /** Closes the window: returns once every line queued in it is published. */
    static void close() {
        LogPublisher p;
        synchronized (LOCK) {
            p = current;
            if (p == null) {
                return;
            }
            p.closing = true;
            LOCK.notifyAll(); // pairs with the wait in run
        }
        boolean interrupted = false;
        while (p.thread.isAlive()) {
            try {
                p.thread.join();
            } catch (InterruptedException e) {
                interrupted = true; // the lines must be out before the start-up ends; restored below
            }
        }
        p.drain(true); // what the thread left, had it died; then offers publish directly
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void run() {
        while (true) {
            synchronized (LOCK) {
                while (queue.isEmpty() && !closing) {
                    try {
                        LOCK.wait(); // pairs with notifyAll in offer and close
                    } catch (InterruptedException e) {
                        return; // close publishes what is left
                    }
                }
                if (queue.isEmpty()) {
                    return; // closing, and nothing left
                }
            }
            // Publishing runs JDK code that a patch may have replaced: jlivepatch's own, marked
            // (RecursionGuard) while it publishes, not while it waits.
            int mark = RecursionGuard.enterIfActive();
            try {
                drain(false);
            } finally {
                RecursionGuard.exit(mark);
            }
        }
    }

    /**
     * Publishes the queued lines in order until the queue is empty; with {@code last}, ends the
     * window once it is, under the same lock as offer, so that a line comes either before the end
     * (queued, published here) or after it (published directly, after all of these).
     */
    private void drain(boolean last) {
        synchronized (publishing) {
            while (true) {
                Object[] batch;
                synchronized (LOCK) {
                    if (queue.isEmpty()) {
                        if (last) {
                            current = null;
                            owner.aside = null;
                        }
                        return;
                    }
                    batch = queue.toArray();
                    queue.clear();
                }
                for (Object r : batch) {
                    try {
                        jul.publish(r);
                    } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                        // as a direct call that fails: the line is lost, the start-up goes on
                    }
                }
            }
        }
    }
}
