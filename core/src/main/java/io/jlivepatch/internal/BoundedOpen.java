package io.jlivepatch.internal;

import io.jlivepatch.internal.patch.RecursionGuard;

import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Opens a file on a thread of its own, and waits for that open a bounded time: a patch JAR for
 * reading, the audit file for appending. A path checked as a regular file may name a named pipe by the
 * time it is opened (renamed over it by whoever can write its directory), and {@code open(2)} of a pipe
 * waits for its other end (a writer for a read, a reader for a write), maybe for ever; so may a
 * device's, or a file's on a file system whose server is gone. The JDK has no way to open without that
 * wait (no {@code O_NONBLOCK} among its open options), so the wait is moved off the caller: premain,
 * the watch thread, a command's thread, the audit file's writer, none of which may stop for good.
 *
 * <p>When the open has not returned within the wait (or the caller was interrupted), the caller gives
 * up and releases it where it can: what is at the path now, if a pipe, is opened read-write, which on
 * Linux never waits and is the other end the open waits for, and kept open until the opening thread is
 * out of its open (it closes both, having read and written nothing), so that an open that had not even
 * begun returns too. That release is made on a thread of its own, waited for as long as the open was:
 * its lstat and open are of the file system the open did not return on, which may not answer either.
 *
 * <p>Where that cannot be done (the pipe moved away or removed, reached through a symbolic link, or not
 * readable and writable by this user), the thread stays blocked, a daemon named after the file that
 * holds no lock, and closes what it opens if it ever does. Linux offers no way to wake it: the open
 * waits in the kernel for the pipe's other end, which only an open of the same pipe gives, by a name
 * (one moved away is out of reach, one removed has none; {@code open_by_handle_at} needs
 * {@code CAP_DAC_READ_SEARCH}), and a signal, which Java cannot aim at a thread anyway, only makes
 * the JDK's open start again (it retries on {@code EINTR}). So such opens are kept ({@link #PENDING})
 * until they return: the same path is not opened again meanwhile, nor any path once
 * {@link #MAX_BLOCKED} are, each refused with {@link StillBlocked}; whoever made an open block once can
 * do it again, and each attempt would leave one more thread.
 *
 * <p>A thread per open, not one kept for them: a read of a patch JAR is rare (a load, a watched
 * directory's change), an open of the audit file once per file (a line is written to the open file), a
 * thread's start and end cost tens of microseconds beside the milliseconds of a load, and a kept thread
 * would need replacing all the same once an open holds it for good. Made on the caller's thread: on
 * JDK 17 it keeps that thread's access-control context (see OwnThread), which matters only for one that
 * stays blocked.
 */
public final class BoundedOpen extends OwnThread {

    /** How the opening threads are named: {@code jlivepatch-open <path>}. */
    public static final String THREAD_NAME = "jlivepatch-open";
    /** How the threads releasing an open that did not return are named: {@code jlivepatch-release <path>}. */
    static final String RELEASE_THREAD_NAME = "jlivepatch-release";
    /** How long an open may take: a local file's takes microseconds, a network file system's a round trip. */
    static final Duration WAIT = Duration.ofSeconds(10);
    /** How many opens may stay blocked at once: beyond, no file is opened until one returns. */
    static final int MAX_BLOCKED = 8;
    /** {@link #WAIT}, shorter in tests ({@link #waitForTests}). */
    private static volatile Duration wait = WAIT;
    /** Tests: run as a release begins, where a test makes it hang as a file system that does not answer would. */
    static volatile Runnable beforeReleaseForTests;
    /** Tests: run as an open begins, where a test holds it as a scheduler that has not run the thread yet would. */
    static volatile Runnable beforeOpenForTests;
    /**
     * The opens whose caller gave up while their thread was still in its open, until that thread is out
     * of it; guarded by itself. Added by the caller only while its thread has not {@link #finished} and
     * removed by that thread once it has (both under this, and {@link #finished} under the opener's
     * lock, taken inside this and never the other way round): so none is left here for good.
     */
    private static final List<BoundedOpen> PENDING = new ArrayList<>();

    private final Path path;
    private final Set<? extends OpenOption> options;
    private final FileAttribute<?>[] attributes;
    /** When the open was asked for (System.nanoTime), for {@link StillBlocked}'s message. */
    private final long begun = System.nanoTime();
    /**
     * Guards the fields below. The opening thread sets {@link #done} with its outcome, unless the
     * caller has set {@link #abandoned} first: so exactly one of them owns the channel (the caller's
     * result, or the opening thread's to close). notifyAll on setting done pairs with the caller's
     * wait. After abandoned, the caller hands over the pipe's {@link #releaser} unless the thread has
     * {@link #finished} (then the caller closes it): so exactly one of them closes that too.
     */
    private final Object lock = new Object();
    private FileChannel channel;
    private Throwable failure;
    private boolean done;
    private boolean abandoned;
    private FileChannel releaser;
    /** A pipe at the path was opened to release the open: it returns at once, if it was that pipe. */
    private boolean released;
    private boolean finished;
    /**
     * The thread releasing this open ({@link #releaseWithin}), once started: set by the caller before
     * it puts this open in {@link #PENDING}, where a later caller of the same path finds it and waits
     * for it (its caller may have stopped waiting first).
     */
    private volatile Thread releasing;

    private BoundedOpen(Path path, Set<? extends OpenOption> options, FileAttribute<?>[] attributes) {
        super(null, THREAD_NAME + " " + path);
        this.path = path;
        this.options = options;
        this.attributes = attributes;
    }

    /**
     * An open refused because earlier ones still block (the same path's, or {@link #MAX_BLOCKED} of
     * them): its message says so in words, without the path, which the caller names.
     */
    public static final class StillBlocked extends IOException {
        StillBlocked(String message) {
            super(message);
        }
    }

    /** The wait, for messages. */
    public static Duration waitTime() {
        return wait;
    }

    /** {@code d} in words: {@code 10 s}, or {@code 200 ms} under a second (tests). */
    public static String describe(Duration d) {
        return d.compareTo(Duration.ofSeconds(1)) < 0 ? d.toMillis() + " ms" : d.toSeconds() + " s";
    }

    /** Tests of other packages: {@code hook} runs on each opening thread just before its open ({@code null}: none). */
    public static void holdOpensForTests(Runnable hook) {
        beforeOpenForTests = hook;
    }

    /**
     * Tests of other packages: {@code hook} runs on each release thread as it begins, once the caller has
     * given its open up ({@code null}: none).
     */
    public static void holdReleasesForTests(Runnable hook) {
        beforeReleaseForTests = hook;
    }

    /** Tests: the wait for an open; {@code null} for the default. */
    public static void waitForTests(Duration d) {
        wait = d == null ? WAIT : d;
    }

    /**
     * Opens {@code path} as {@link FileChannel#open(Path, Set, FileAttribute[])} does, waiting for it
     * at most {@link #waitTime()}, and as long again for the release of one that did not return.
     *
     * @return the channel, or {@code null} when the open did not return within {@link #waitTime()}
     * @throws StillBlocked                earlier opens still block: this one was not begun
     * @throws ClosedByInterruptException the caller was interrupted while it waited (its interrupt
     *                                     status is set again)
     * @throws IOException                 the open's own failure
     */
    public static FileChannel open(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attributes)
            throws IOException {
        refuseWhileBlocked(path);
        BoundedOpen opener = new BoundedOpen(path, options, attributes);
        try {
            opener.start();
        } catch (OutOfMemoryError | RuntimeException e) { // no native thread left, say
            throw new IOException("no thread could be started to open it (" + e + ")", e);
        }
        long deadline = System.nanoTime() + wait.toNanos();
        boolean interrupted = false;
        boolean opened;
        synchronized (opener.lock) {
            while (!opener.done) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(opener.lock, left); // pairs with notifyAll in run
                } catch (InterruptedException e) {
                    interrupted = true;
                    break;
                }
            }
            opened = opener.done;
            if (!opened) {
                opener.abandoned = true; // from here on, what the thread opens is its own to close
            }
        }
        if (!opened) {
            opener.releaseWithin(interrupted);
            synchronized (PENDING) {
                synchronized (opener.lock) {
                    if (!opener.finished) {
                        PENDING.add(opener); // removed by run once its open returned
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
                throw new ClosedByInterruptException();
            }
            return null;
        }
        if (interrupted) {
            Thread.currentThread().interrupt(); // it opened all the same: the caller's read says the rest
        }
        if (opener.failure instanceof IOException) {
            throw (IOException) opener.failure;
        }
        if (opener.failure instanceof RuntimeException) {
            throw (RuntimeException) opener.failure;
        }
        if (opener.failure instanceof Error) {
            throw (Error) opener.failure;
        }
        if (opener.failure != null) {
            throw new IOException(opener.failure);
        }
        return opener.channel;
    }

    /**
     * Refuses an open of {@code path} while an earlier one of it blocks, and of any path while
     * {@link #MAX_BLOCKED} do. The earlier one's release (its caller may have stopped waiting for it)
     * is waited for first, then, if it was released, its thread, each at most {@link #WAIT} (not the
     * wait tests shorten: these are for a thread to be scheduled, unless a file system does not
     * answer): a released open's thread is out of its open at once, but may not have run yet to say
     * so; it stays blocked only where the pipe opened to release it was not the one it waits on (that
     * one moved away, another put there). Paths are compared as given
     * ({@code a/../b} is not {@code b}): the bound on them all covers other spellings.
     */
    private static void refuseWhileBlocked(Path path) throws IOException {
        BoundedOpen earlier = blockedAt(path);
        if (earlier != null) {
            try {
                Thread release = earlier.releasing;
                if (release != null) {
                    release.join(WAIT.toMillis()); // its caller may have stopped waiting for it
                }
                if (earlier.wasReleased()) {
                    earlier.join(WAIT.toMillis()); // ends with run, which takes it out of PENDING
                } else {
                    // Not released: its caller stopped waiting early (interrupted, on a regular file whose
                    // open returns by itself), or nothing could release it. Waited for as an open is,
                    // so that the first is not refused as "has not returned" (a reconcile interrupted
                    // once then found its next read of the same JAR refused); the second still is, later.
                    earlier.join(Math.max(1, wait.toMillis()));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClosedByInterruptException();
            }
        }
        String why = null;
        synchronized (PENDING) {
            earlier = blockedAt(path);
            if (earlier != null) {
                why = "an open of it begun " + describe(Duration.ofNanos(System.nanoTime() - earlier.begun))
                        + " ago has not returned: what it opened blocks (a pipe moved away or removed since, or one"
                        + " reached through a symbolic link: nothing can release it), and its thread ("
                        + THREAD_NAME + ") with it; it is not opened again until that open returns, so that each"
                        + " attempt does not leave one more thread blocked: open that pipe from its other end, or"
                        + " restart the JVM";
            } else if (PENDING.size() >= MAX_BLOCKED) {
                StringBuilder paths = new StringBuilder();
                for (BoundedOpen b : PENDING) {
                    paths.append(paths.length() == 0 ? "" : ", ").append(b.path);
                }
                why = PENDING.size() + " earlier opens (of " + paths + ") have not returned, each leaving a thread ("
                        + THREAD_NAME + ") blocked; no file is opened until one of them returns, so that attempts"
                        + " cannot pile up blocked threads: open those pipes from their other end, or restart the JVM";
            }
        }
        if (why != null) {
            throw new StillBlocked(why);
        }
    }

    /** The open of {@code path} still blocked, or {@code null}. */
    private static BoundedOpen blockedAt(Path path) {
        synchronized (PENDING) {
            for (BoundedOpen b : PENDING) {
                if (b.path.equals(path)) {
                    return b;
                }
            }
            return null;
        }
    }

    private boolean wasReleased() {
        synchronized (lock) {
            return released;
        }
    }

    @Override
    public void run() {
        FileChannel ch = null;
        Throwable t = null;
        // jlivepatch's own work, as its caller's: a hooked JDK method the open meets runs its original code
        int mark = RecursionGuard.enterIfActive();
        try {
            Runnable hook = beforeOpenForTests;
            if (hook != null) {
                hook.run();
            }
            ch = FileChannel.open(path, options, attributes);
        } catch (Throwable e) { // handed to the caller, whatever it is
            t = e;
        } finally {
            RecursionGuard.exit(mark);
        }
        boolean mine;
        FileChannel w = null;
        synchronized (lock) {
            mine = abandoned;
            if (!mine) {
                channel = ch;
                failure = t;
                done = true;
                lock.notifyAll(); // pairs with the caller's timedWait
            } else {
                finished = true; // a releaser handed over from here on is the caller's to close
                w = releaser;
            }
        }
        if (mine) {
            Closing.quietly(ch); // nothing was read from it, nor written to it
            Closing.quietly(w);
            synchronized (PENDING) {
                PENDING.remove(this); // pairs with the caller's add, made only while not finished
            }
        }
    }

    /**
     * {@link #release} on a thread of its own, waited for at most {@link #waitTime()}: its lstat and
     * open are of the file system the open did not return on, and where that one's server is gone they
     * do not return either, which must not hold the caller. One that does not end in time leaves the
     * open unreleased for now: refused while it blocks, as any ({@link #PENDING}); it ends by itself
     * if the file system answers again. The caller's interrupt, if it stopped waiting for that, was
     * consumed by its wait and is set again after this, so it does not cut this wait short.
     */
    private void releaseWithin(boolean interrupted) {
        Thread releasing = new OwnThread(() -> {
            // jlivepatch's own work, as the opening thread's (run)
            int mark = RecursionGuard.enterIfActive();
            try {
                release(interrupted);
            } finally {
                RecursionGuard.exit(mark);
            }
        }, RELEASE_THREAD_NAME + " " + path);
        try {
            releasing.start();
            this.releasing = releasing;
        } catch (OutOfMemoryError | RuntimeException e) { // no native thread left, say
            Log.get().log(System.Logger.Level.WARNING, path + " did not open, and no thread could be started to"
                    + " release its open (" + e + "): the thread opening it (" + THREAD_NAME + ") may stay blocked,"
                    + " and the path is not opened again until that open returns");
            return;
        }
        try {
            releasing.join(Math.max(1, wait.toMillis())); // pairs with the release thread's end
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // an interrupt of this wait: the caller's to see
            return;
        }
        if (releasing.isAlive()) {
            Log.get().log(System.Logger.Level.WARNING, path + " did not open within " + describe(wait) + ", and its"
                    + " release (" + RELEASE_THREAD_NAME + ") has not ended within as long (its file system does not"
                    + " answer?): the thread opening it (" + THREAD_NAME + ") stays blocked until either returns, and"
                    + " the path is not opened again until its open returns");
        }
    }

    /**
     * Makes the abandoned open return, if what the path names now is a pipe: opened read-write (never
     * waits on Linux) and kept open for the opening thread to close once its open returned. Anything
     * else is left alone, and a link is not followed: opening a device, even to close it, may do
     * something (a tty, a watchdog). {@code interrupted}: the caller stopped waiting because it was
     * interrupted, not because the wait ran out (an open of a file returns by itself: nothing to say).
     */
    private void release(boolean interrupted) {
        Runnable hook = beforeReleaseForTests;
        if (hook != null) {
            hook.run();
        }
        String outcome;
        try {
            Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if (mode instanceof Integer && ((Integer) mode & 0170000) == 0010000) { // S_IFMT, S_IFIFO
                FileChannel w = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS);
                boolean closeNow;
                synchronized (lock) {
                    released = true;
                    closeNow = finished;
                    if (!closeNow) {
                        releaser = w; // closed by the thread once its open returned (run)
                    }
                }
                if (closeNow) {
                    Closing.quietly(w);
                }
                outcome = "a pipe is there: its open was released";
            } else if (interrupted) {
                return;
            } else {
                outcome = "no pipe is there now: the thread opening it (" + THREAD_NAME + ") stays blocked, and"
                        + " the path is not opened again until that open returns";
            }
        } catch (IOException | RuntimeException e) {
            if (interrupted) {
                return; // most likely no pipe, as above
            }
            outcome = "its open could not be released (" + e + "): the thread opening it (" + THREAD_NAME
                    + ") stays blocked, and the path is not opened again until that open returns";
        }
        Log.get().log(System.Logger.Level.WARNING, path + (interrupted ? " was being opened when its caller was"
                + " interrupted; " : " did not open within " + describe(wait) + "; ") + outcome);
    }
}
