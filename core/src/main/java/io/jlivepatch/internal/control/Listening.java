package io.jlivepatch.internal.control;

import io.jlivepatch.internal.ClosedAtExit;
import io.jlivepatch.internal.Closing;
import io.jlivepatch.internal.Log;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * An open control socket: what it accepts on, the selector its accept loop waits in, and the file that
 * names it. Closed (both) at the JVM's exit (ClosedAtExit), by a reopen that replaced it, or by its
 * loop once it is lost; a close never waits more than {@link #CLOSE_WAIT_MILLIS} for the loop's wait.
 */
final class Listening implements AutoCloseable {

    /**
     * How long a close waits for the accept loop's select to return once woken, before it gives the
     * selector up: the select returns at once when woken, but a patch of a JDK method it runs that
     * blocks, or a JDK bug, would hold the closer for good, and the JVM's exit with it (the exit hook
     * closes this).
     */
    static final long CLOSE_WAIT_MILLIS = 1000;

    final ServerSocketChannel channel;
    /** The accept loop's wait: {@link #channel}, non-blocking, registered for OP_ACCEPT and nothing else. */
    final Selector selector;
    final Path path;
    final Object fileKey;
    /**
     * Taken as lost by its accept loop (closed under it, neither by a reopen nor at exit). Read by
     * ControlServer.reopenIfLost for its log line only: a reopen that comes first says "deleted or replaced".
     */
    volatile boolean closed;

    /**
     * Guards {@link #selecting}, {@link #shut} and {@link #abandoned}. A close waits on it for the
     * loop's select to return (the loop notifies as it leaves it); the loop's pause after empty
     * wake-ups waits on it for a close (which notifies after closing the channel).
     */
    private final Object lock = new Object();
    /** The accept loop is in its select, or about to enter it (set after a look at {@link #shut}). */
    private boolean selecting;
    /** Closed: no select starts any more. */
    private boolean shut;
    /** A close gave up waiting for the select: the loop closes the selector as the select returns. */
    private boolean abandoned;
    /** What the next waits return at once instead of waiting, as a select that never waits does. Tests only. */
    static volatile int atOnceForTests;

    Listening(ServerSocketChannel channel, Selector selector, Path path, Object fileKey) {
        this.channel = channel;
        this.selector = selector;
        this.path = path;
        this.fileKey = fileKey;
    }

    /**
     * The accept loop's wait for a connection, or a wake-up (an interrupt, a close); throws
     * ClosedChannelException once closed. The selector's lock is held for as long as the select runs
     * (SelectorImpl.lockAndDoSelect), and its close takes that lock: hence {@link #selecting}, which
     * lets a close see whether it would wait for it.
     */
    void select() throws IOException {
        synchronized (lock) {
            if (shut) {
                throw new ClosedChannelException();
            }
            selecting = true;
        }
        boolean closeSelector;
        try {
            int atOnce = atOnceForTests;
            if (atOnce > 0) {
                atOnceForTests = atOnce - 1;
                selector.selectNow();
            } else {
                selector.select();
            }
        } finally {
            synchronized (lock) {
                selecting = false;
                lock.notifyAll(); // pairs with close's wait
                closeSelector = abandoned;
            }
        }
        if (closeSelector) {
            Closing.quietly(selector); // the close that gave up on this select left it here
        }
    }

    /** Pauses the accept loop after too many empty wake-ups in a row; a close ends it at once. */
    void pause(long millis) {
        EmptyWakeups.pause(lock, channel, millis);
    }

    /**
     * Closes the socket, then its selector; from any thread, never throws, and returns within about
     * {@link #CLOSE_WAIT_MILLIS}. The channel alone would not end the loop's wait: the JDK defers the
     * close of a channel registered with a selector until the selector drops its key, and wakes no
     * select for it (JDK 17 and 25: ServerSocketChannelImpl.implCloseNonBlockingMode,
     * AbstractSelectableChannel.implCloseChannel). So the select is woken, and the selector closed
     * once the select has returned: its close drops the key and so closes the socket's descriptor, and
     * takes the lock the select holds, which it would wait for as long as a select that does not
     * return (a patch that blocks there, a JDK bug): the JVM's exit, whose hook closes this, never
     * ended. Such a select is given up after the bound: the selector is closed by the loop if its
     * select ever returns, else the descriptors stay until the process ends (said in one line; at the
     * exit the socket's file is deleted all the same, by its deleteOnExit, which runs once the exit's
     * hooks have returned). The channel first: a loop woken finds it closed too, and takes it as
     * closed, not as failed.
     */
    @Override
    public void close() {
        ClosedAtExit.remove(this); // else each socket a reopen replaced stays listed for the JVM's life
        Closing.quietly(channel); // a deferred close: no lock of the select's taken
        boolean waiting;
        synchronized (lock) {
            shut = true;
            lock.notifyAll(); // ends a pause (EmptyWakeups.pause looks at the channel, closed above)
            waiting = selecting;
        }
        if (waiting) {
            try {
                selector.wakeup(); // takes no lock the select holds
            } catch (RuntimeException ignored) {
                // a patch of the wakeup that throws: the bounded wait below gives up
            }
            waiting = awaitSelectReturned();
        }
        if (!waiting) {
            Closing.quietly(selector); // the loop selects no more: the lock is free
            return;
        }
        try {
            // At the exit, to standard error: java.util.logging's own shutdown hook resets its handlers
            // meanwhile, and the line was lost (Log.atExit)
            (ClosedAtExit.exiting() ? Log.atExit() : Log.get()).log(System.Logger.Level.WARNING,
                    "the jlivepatch control socket " + path + " is closed, but"
                    + " its accepting thread's wait did not return within " + CLOSE_WAIT_MILLIS + " ms of its"
                    + " wake-up (a patch of a JDK method its selector runs that blocks?): its selector and the"
                    + " socket's descriptor are left open " + (ClosedAtExit.exiting() ? "to the process's end"
                    : "until that wait returns") + ", and the " + (ClosedAtExit.exiting() ? "exit" : "close")
                    + " goes on without them");
        } catch (Throwable ignored) {
            // closed as far as it can be either way
        }
    }

    /** Waits (bounded) until the loop is out of its select; whether it is still in it (then abandoned). */
    private boolean awaitSelectReturned() {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
        boolean interrupted = false;
        try {
            synchronized (lock) {
                for (long left = end - System.nanoTime(); selecting && left > 0; left = end - System.nanoTime()) {
                    try {
                        TimeUnit.NANOSECONDS.timedWait(lock, left); // pairs with select's notifyAll
                    } catch (InterruptedException e) {
                        interrupted = true; // the closer's (an attach thread's, the exit hook's): kept, waited on
                    }
                }
                if (selecting) {
                    abandoned = true; // read by select as it returns, under this lock
                }
                return selecting;
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
