package io.jlivepatch.internal.patch;

import io.jlivepatch.internal.OwnThread;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Makes sure the JVM's standard error takes a line before jlivepatch appends to the bootstrap class
 * path. With class-data sharing on (the default), HotSpot then writes a warning to file descriptor 2
 * from inside the VM: a thread blocked in that write (a full pipe nobody reads) holds back every
 * safepoint, so the whole application stops at the next one (a garbage collection, a thread dump)
 * until standard error drains: seen with JDK 17, where a {@code jlivepatch load} into such a JVM
 * froze it at the next {@code kill -3}. The probe writes a line of its own, longer than that
 * warning, from a thread of its own, and waits a bounded time: if standard error does not take it,
 * jlivepatch refuses to install rather than risk the application. The probe's thread, blocked in
 * native code, holds back nothing; it ends once standard error drains.
 *
 * <p>The line goes to the file descriptor itself, not through {@code System.Logger}: the question is
 * whether the descriptor HotSpot writes to takes output, whatever the logging back-end or
 * {@code System.setErr} did. It says what the JVM's warning that follows means.
 */
final class StandardErrorProbe implements Runnable {

    /**
     * Longer than HotSpot's warning (about 115 bytes). What the probe cannot see: a pipe nobody reads
     * with room for this line but not for the warning after it, a band of about 115 bytes; a pipe
     * that filled up, as a stuck one does, has room for neither.
     */
    static final String LINE = "jlivepatch: appending its dispatch classes to the bootstrap class path; with class-data"
            + " sharing on, the JVM warns next that sharing serves the boot loader's classes only (expected)\n";

    /** How long standard error may take the line. */
    private static final long BOUND_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** The last probe while its write has not returned: no second thread piles onto a stuck output. Guarded by the class's monitor. */
    private static StandardErrorProbe pending;

    /** Whether the write returned. Guarded by this probe's monitor (not a latch: its classes would cost start-up). */
    private boolean written;

    private StandardErrorProbe() {
    }

    /**
     * Writes {@link #LINE} to file descriptor 2 and waits for the write to return.
     *
     * @throws IllegalStateException when it did not within the bound (or an earlier probe's write
     *                               still has not): standard error takes no output
     */
    static void check() {
        StandardErrorProbe probe;
        synchronized (StandardErrorProbe.class) {
            probe = pending;
            if (probe == null || probe.written()) {
                probe = new StandardErrorProbe();
                // Daemon, inheriting nothing from the installing thread (OwnThread): while standard
                // error stays stuck it lives as long as the JVM.
                new OwnThread(probe, "jlivepatch-stderr-probe").start();
                pending = probe;
            }
        }
        if (!probe.await(BOUND_NANOS)) {
            throw new IllegalStateException("the JVM's standard error takes no output (it did not take a line within "
                    + TimeUnit.NANOSECONDS.toMillis(BOUND_NANOS) + " ms: a pipe nobody reads?); appending to the bootstrap"
                    + " class path makes the JVM write a warning there from inside the VM, and blocked in that write it"
                    + " would stop every thread of the application at its next safepoint (a garbage collection, say)."
                    + " Nothing was changed: make the JVM's standard error drain, then retry");
        }
    }

    private synchronized boolean written() {
        return written;
    }

    /** Whether the write returned within {@code nanos}; an interrupt does not end the wait, and is kept. */
    private synchronized boolean await(long nanos) {
        boolean interrupted = false;
        long deadline = System.nanoTime() + nanos;
        long left;
        while (!written && (left = deadline - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left); // pairs with notifyAll in run
            } catch (InterruptedException e) {
                interrupted = true; // the answer is needed before going on
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return written;
    }

    @Override
    public void run() {
        try {
            // Not closed: that would close the JVM's file descriptor 2.
            @SuppressWarnings("resource")
            FileOutputStream err = new FileOutputStream(FileDescriptor.err);
            err.write(LINE.getBytes(StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            // closed or failing: HotSpot's write fails as quickly, it does not block
        } finally {
            synchronized (this) {
                written = true;
                notifyAll(); // pairs with the wait in await
            }
        }
    }
}
