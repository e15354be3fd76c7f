package io.jlivepatch.internal;

import io.jlivepatch.internal.patch.RecursionGuard;

import java.util.ArrayList;
import java.util.List;

/**
 * What jlivepatch keeps open that leaves a thread waiting in native code (the control socket's
 * {@code accept}, a watch service's poller), closed when the JVM shuts down. HotSpot's last safepoint
 * waits up to 300 ms for every thread in native code to come back
 * ({@code VM_Exit::wait_for_threads_in_native_to_block}), so each such thread made every exit of a
 * JVM with jlivepatch 0.3 s slower (issue 14; BENCHMARKS.md, section 4). Shutdown hooks run before
 * that wait, and closing wakes the waiting thread. One hook for all, registered with the first.
 * The audit file's queue is drained here too ({@code AuditFile.drain}): its writer is a daemon
 * thread, and the lines it had not written when the JVM ended were lost. Just before, what the exit
 * cuts short (an operation under way, whose thread never gets to its line; a transition in progress)
 * is queued for it ({@code PatchRegistry.recordUnfinishedAtExit}), without jlivepatch's lock, which
 * the exiting thread may hold. A drain waits only for lines queued, at most a second, so an exit with
 * none queued is as quick as before.
 */
public final class ClosedAtExit implements Runnable {

    /** Guards {@link #open} and {@link #hooked}; {@link #exiting} is written under it too. */
    private static final Object LOCK = new Object();
    private static final List<AutoCloseable> open = new ArrayList<>();
    private static boolean hooked;
    /** Set by the hook before it closes anything; read without the lock by the threads that wait. */
    private static volatile boolean exiting;

    private ClosedAtExit() {
    }

    /**
     * Closes {@code c} when the JVM shuts down, unless {@link #remove removed} before. False when the
     * JVM shuts down already: {@code c} is closed here, and its owner gives it up. When no hook can
     * be registered (a security manager, no memory), {@code c} stays open to the end, as before this
     * class, and the answer is true.
     */
    public static boolean add(AutoCloseable c) {
        synchronized (LOCK) {
            if (!exiting && !hooked) {
                try {
                    Runtime.getRuntime().addShutdownHook(new OwnThread(new ClosedAtExit(), "jlivepatch-exit"));
                    hooked = true;
                } catch (IllegalStateException shutdownBegun) {
                    exiting = true;
                } catch (RuntimeException | OutOfMemoryError e) {
                    return true; // no hook: open to the end
                }
            }
            if (!exiting) {
                open.add(c);
                return true;
            }
        }
        Closing.quietly(c); // outside the lock: closing may wait for the thread that uses c
        return false;
    }

    /** Forgets {@code c}: its owner closed it. */
    public static void remove(AutoCloseable c) {
        synchronized (LOCK) {
            open.remove(c);
        }
    }

    /** Whether the JVM shuts down (the hook has begun): a closed channel or service is no failure then. */
    public static boolean exiting() {
        return exiting;
    }

    @Override
    public void run() {
        AutoCloseable[] all;
        synchronized (LOCK) {
            exiting = true; // before the closes: what fails after them reads it (pairs with exiting())
            all = open.toArray(new AutoCloseable[0]);
            open.clear();
        }
        // Marked: closing runs JDK code a patch may replace, and this is jlivepatch's thread.
        int mark = RecursionGuard.enterIfActive();
        try {
            for (AutoCloseable c : all) {
                Closing.quietly(c); // the JVM exits either way
            }
        } finally {
            RecursionGuard.exit(mark);
        }
    }
}
