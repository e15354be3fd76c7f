package io.jlivepatch.internal.control;

import io.jlivepatch.internal.ClosedAtExit;
import io.jlivepatch.internal.Closing;
import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.OwnThread;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.patch.PrivateTempDir;
import io.jlivepatch.internal.patch.RecursionGuard;

import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The command's way in: a UNIX domain socket in jlivepatch's private directory ({@code 0700}, see
 * {@link PrivateTempDir}), so that only the JVM's OS user (and root) can connect, and no network
 * port is ever opened. It grants nothing the attach mechanism does not already grant to that user.
 * Its path is published in the system property {@value #PROPERTY}, which the command reads over
 * attach; the command sends the patch JAR's bytes through it, so a path is never resolved again in
 * this JVM (which may be in a container with a file system of its own).
 *
 * <p>One daemon thread accepts; each connection is served by a daemon thread of its own, at most
 * {@value #MAX_SESSIONS} at once, every one of them marked as jlivepatch's code (RecursionGuard).
 * When all places are taken, the connection that has waited longest for its client (to send a call,
 * or to read a reply), if that is {@link #IDLE_SECONDS} or more, is closed to make room: commands
 * that stopped or hang never lock the command out (a command sends its calls back to back and reads
 * each reply, and a call that runs is never idle). A connection that has sent part of a call and
 * then nothing for {@link #STALL_SECONDS} is closed whether or not places are taken: what it sent
 * is held until the call is whole, and a call is bounded (Wire.CallBudget), not its wait; the patch
 * JARs the calls of all connections hold together are bounded too ({@link ReceivedJarBytes}).
 *
 * <p>The accept loop outlives the failure of any one connection (out of memory, out of threads):
 * that client is closed and the loop goes on. Should the socket close all the same, its file is
 * deleted, so that the command finds it gone and attaches the agent again, which opens a new one
 * ({@link #reopenIfLost}).
 */
public final class ControlServer implements Runnable {

    /** The socket's path, set once it listens. */
    public static final String PROPERTY = io.jlivepatch.control.LocalChannel.PROPERTY;
    /**
     * Why the socket could not be opened, the last time it was tried; cleared when one opens. The
     * command reads it over the attach API and says it at once, where it waited out its timeout
     * blaming what it could only guess (a path too long for a UNIX socket, say).
     */
    public static final String FAILURE_PROPERTY = "jlivepatch.control.failure";
    static final String PREFIX = "control-";
    static final int MAX_SESSIONS = 8;
    public static final long IDLE_SECONDS = 10;
    /** {@link #IDLE_SECONDS} in nanoseconds; shorter in tests ({@link #idleAfterForTests}). */
    private static volatile long idleNanos = TimeUnit.SECONDS.toNanos(IDLE_SECONDS);
    /**
     * How long a connection may send nothing in the middle of a call. Counted from its last byte,
     * not from the call's start: a 64 MB JAR over a slow link takes as long as it takes, a peer that
     * stops is closed. Generous: a command writes a call at once, from memory.
     */
    public static final long STALL_SECONDS = 30;
    /** {@link #STALL_SECONDS} in nanoseconds; shorter in tests ({@link #stallAfterForTests}). */
    private static volatile long stallNanos = TimeUnit.SECONDS.toNanos(STALL_SECONDS);
    /** How long the accept loop pauses after a connection failed it: the memory or threads may come back. */
    private static final long FAILURE_PAUSE_MILLIS = 100;
    /** {@link #FAILURE_PAUSE_MILLIS}, or what a test set. */
    private static volatile long failurePauseMillis = FAILURE_PAUSE_MILLIS;
    /**
     * What the accept loop's next iteration throws (once) instead of handling its connection, when
     * set: an OutOfMemoryError there, say, which no test can make happen for real. Tests only.
     */
    static volatile Error acceptFailureForTests;
    /**
     * What the accept loop's next unmarked wait throws (once) as a connection arrives, when set: what a
     * throwing patch of a JDK method the select runs (HashMap.get in EPollSelectorImpl.processEvents) does
     * there. Tests only.
     */
    private static volatile RuntimeException waitFailureForTests;
    /** What the next open of the socket throws (once) after its selector opened, when set. Tests only. */
    private static volatile Error openFailureForTests;
    /** How many times an accept loop has paused after too many empty wake-ups in a row; tests only read it. */
    private static final java.util.concurrent.atomic.AtomicLong emptyPauses =
            new java.util.concurrent.atomic.AtomicLong();
    /** How many times the accept loop has paused after a failure; tests only read it. */
    private static final java.util.concurrent.atomic.AtomicLong pauses = new java.util.concurrent.atomic.AtomicLong();
    /**
     * What {@link #startInBackground}'s thread start throws (once) instead, when set: a JVM out of
     * native threads at install, the last step of Livepatch.install that can fail. Tests only.
     */
    private static volatile Error startFailureForTests;

    private final PatchRegistry registry;
    private final Semaphore sessions = new Semaphore(MAX_SESSIONS);
    /** The sessions whose threads run: added here before their start, removed by themselves as they end. */
    private final Set<ControlSession> live = ConcurrentHashMap.newKeySet();
    /** The room for patch JAR bytes that the sessions' calls share. */
    private final ReceivedJarBytes jarBytes = new ReceivedJarBytes(live);

    /**
     * The socket this server accepts on, its path and its file's identity ({@code fileKey}: device
     * and inode), or {@code null} until one is open and while none is. Written under REOPEN (and by
     * the first accepting thread before it publishes the path); read by {@link #reopenIfLost}.
     */
    private volatile Listening listening;
    /** The first thread's open is still running: a reopen would race it (read under REOPEN). */
    private volatile boolean opening = true;
    /**
     * Whether a stall watch thread runs. Set by the session that starts one, cleared by the watch as
     * it finds no call being received; see {@link #watchStalls} for how the two pair.
     */
    private final java.util.concurrent.atomic.AtomicBoolean watching = new java.util.concurrent.atomic.AtomicBoolean();
    /**
     * The kinds of failure the accept loop has logged (the Throwable's class): each is said once, not
     * at every connection of a JVM that stays out of memory. The accept threads only (a reopen's and
     * the one it replaced may overlap).
     */
    private final Set<Class<?>> failuresSaid = ConcurrentHashMap.newKeySet();
    /** Whether the accept loop's pauses after empty wake-ups were said (once). The accept threads only. */
    private volatile boolean spinSaid;

    /** The server of this JVM, once started; null before. */
    private static volatile ControlServer running;
    /**
     * Serializes {@link #reopenIfLost} (attach threads, one at a time already, and a test) with
     * itself and with the first thread's end of its open. Pairs with itself only.
     */
    private static final Object REOPEN = new Object();

    private ControlServer(PatchRegistry registry) {
        this.registry = registry;
    }

    /**
     * Opens the socket from a daemon thread, off the application's start-up; trouble is logged, never
     * fatal. When the thread cannot start (out of native threads) it throws, and leaves no server
     * behind: Livepatch.install fails, and its retry starts one of its own.
     */
    public static void startInBackground(PatchRegistry registry) {
        ControlServer server = new ControlServer(registry);
        ControlServer was = running;
        running = server;
        try {
            // Lives as long as the JVM; the caller may be an application's thread (Livepatch.install).
            Thread t = new OwnThread(server, "jlivepatch-control");
            Error injected = startFailureForTests;
            if (injected != null) {
                startFailureForTests = null;
                throw injected;
            }
            t.start();
        } catch (Throwable e) {
            // A server whose first open never runs stays `opening` for good: reopenIfLost, which an
            // attach calls, would take it as under way and never open the socket.
            running = was;
            throw e;
        }
    }

    /**
     * Opens the socket again when it is gone: its file deleted (a clean-up of the temporary
     * directory, such as systemd-tmpfiles or a cron job, deletes a socket that a service keeps for
     * weeks, since a socket file's times never change), replaced, or never opened (the directory
     * could not be written, descriptors ran out). Without this the command could never reach the JVM
     * again before a restart. Called by every attach of the agent to a JVM where jlivepatch runs,
     * which is what the command does when it finds the socket gone (as the JDK re-creates its own
     * attach socket on the next attach). Never throws; trouble is logged.
     *
     * @return what was done, for the log of the caller, or {@code null} when the socket is in place
     */
    public static String reopenIfLost() {
        ControlServer server = running;
        if (server == null) {
            return null; // not installed: Livepatch.install starts it
        }
        synchronized (REOPEN) {
            if (server.opening) {
                return null; // the first open is under way
            }
            Listening was = server.listening;
            if (was != null && stillThere(was)) {
                return null;
            }
            int mark = RecursionGuard.enterIfActive();
            try {
                Listening now = open();
                if (now == null) {
                    return null; // the JVM exits
                }
                try {
                    new OwnThread(() -> server.serve(now), "jlivepatch-control").start();
                } catch (RuntimeException | VirtualMachineError noThread) {
                    // At a limit on threads: nothing was published, the next attach tries again.
                    now.close();
                    failed(noThread);
                    Log.get().log(System.Logger.Level.ERROR, "the jlivepatch control socket could not be opened again:"
                            + " no thread could be started for it (" + noThread + "); the next attach tries again");
                    return null;
                }
                // Before the old channel closes: its thread, seeing it closed, ends because it was replaced.
                server.listening = now;
                System.clearProperty(FAILURE_PROPERTY);
                System.setProperty(PROPERTY, now.path.toString());
                if (was != null) {
                    was.close(); // wakes its thread, which sees it replaced and ends
                }
                String done = (was == null ? "the jlivepatch control socket had not opened; listening on "
                        : was.closed ? "the jlivepatch control socket " + was.path + " had closed after a failure (logged"
                        + " then); listening on "
                        : "the jlivepatch control socket " + was.path + " was deleted or replaced (a clean-up of the"
                        + " temporary directory?); listening on ") + now.path + " now";
                Log.get().log(System.Logger.Level.WARNING, done);
                return done;
            } catch (IOException | RuntimeException | LinkageError | VirtualMachineError e) {
                try {
                    failed(e);
                    Log.get().log(System.Logger.Level.ERROR, "the jlivepatch command cannot reach this JVM: its control"
                            + " socket could not be opened again (" + e + "); patches already loaded are not affected");
                } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
                    // never throws: the attach that asked goes on
                }
                return null;
            } finally {
                RecursionGuard.exit(mark);
            }
        }
    }

    /** Whether the file at {@code l}'s path is still the socket {@code l} was bound to, and it accepts. */
    private static boolean stillThere(Listening l) {
        if (!l.channel.isOpen()) {
            return false;
        }
        try {
            Object key = Files.readAttributes(l.path, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
            return key == null || key.equals(l.fileKey); // no key to compare (not POSIX): there is a file
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    @Override
    public void run() {
        Listening mine = listening;
        if (mine == null) {
            // The first thread: it opens the socket.
            // Marked (never runs a replacement) only while it runs jlivepatch's code: a thread that
            // stayed marked while it waits in accept would send every hooked call of the JVM down the
            // guard's slow path for the life of the JVM (Recursion.outside: the fast path is "no thread
            // is marked"). The sessions mark themselves for their short lives.
            int mark = RecursionGuard.enterIfActive();
            try {
                mine = open();
            } catch (IOException | RuntimeException | LinkageError e) {
                failed(e);
                Log.get().log(System.Logger.Level.ERROR, "the jlivepatch command cannot reach this JVM: its control"
                        + " socket failed (" + e + "); the next attach of the agent (any jlivepatch command) tries"
                        + " again; patches already loaded are not affected");
                return;
            } catch (OutOfMemoryError e) {
                return; // nothing can be logged without memory; the application goes on without the channel
            } finally {
                synchronized (REOPEN) {
                    if (mine != null) {
                        listening = mine;
                    }
                    opening = false; // from here on, a lost socket is reopenIfLost's
                }
                RecursionGuard.exit(mark);
            }
            if (mine == null) {
                return; // the JVM exits already
            }
            System.clearProperty(FAILURE_PROPERTY);
            System.setProperty(PROPERTY, mine.path.toString()); // this thread accepts on it from here on
        }
        serve(mine);
    }

    /**
     * Accepts on {@code mine} until it is closed: by the JVM's end, or by a reopen that replaced it.
     * Nothing one connection does or meets ends it: each iteration catches everything (an
     * OutOfMemoryError in accept or in turning a client away included), closes that client, says
     * what happened (once per kind) and goes on after a pause.
     */
    private void serve(Listening first) {
        Listening mine = first;
        // Whether the next wait and accept run marked (RecursionGuard): after one that failed. The wait
        // for a command runs unmarked, since a thread marked for good would keep every hook's guard from
        // folding to its constant; so a patch of a JDK method the wait or the accept runs
        // (ServerSocketChannelImpl.accept, the selector's) runs here, and one that throws failed every
        // accept: no command reached the JVM while it was enabled (OwnPathsTest). The wait after a
        // failure is jlivepatch's own, the patch's methods running their own code; the one after it
        // goes unmarked again, so that a failure of the system's (no descriptors) costs the guard's
        // constant only until the next command.
        boolean markAccept = false;
        // The wake-ups in a row that found nothing to accept: the wait stays unmarked after one (marking it
        // would slow every hooked call after each application interrupt), so a select that returns at once
        // again and again (a patch there that returns without waiting) would spin; bounded by a pause. Made
        // at the first empty wake-up: a JVM that never met one does not load the class (FootprintIT).
        EmptyWakeups wakeups = null;
        while (true) {
            SocketChannel client = null;
            boolean waitMarked = false; // whether this iteration's wait and accept ran marked
            boolean placeTaken = false;
            ControlSession session = null;
            int work = -1; // the mark of what follows the accept: jlivepatch's code, short (Recursion.NESTED until taken)
            try {
                boolean marked = markAccept;
                waitMarked = marked;
                markAccept = true; // until this accept returns a client: a failure leaves the next one marked
                int mark = marked ? RecursionGuard.enterIfActive() : -1; // -1: Recursion.NESTED, releases nothing
                boolean interrupted;
                try {
                    client = next(mine, marked);
                    interrupted = OwnThread.clearApplicationInterrupt(); // before the next select: see next
                } catch (ClosedChannelException | ClosedSelectorException closed) {
                    if (ClosedAtExit.exiting() || listening != mine) {
                        return; // the JVM shuts down (ClosedAtExit closed it), or a reopen replaced it
                    }
                    throw closed;
                } finally {
                    RecursionGuard.exit(mark);
                }
                if (client == null) {
                    markAccept = marked; // woken with nothing to accept (an interrupt): neither failed nor done
                    if (wakeups == null) {
                        wakeups = new EmptyWakeups();
                    }
                    wakeups.woke(interrupted);
                    backOff(mine, wakeups);
                    continue;
                }
                if (wakeups != null) {
                    wakeups.reset();
                }
                markAccept = false;
                work = RecursionGuard.enterIfActive();
                Error injected = acceptFailureForTests;
                if (injected != null) {
                    acceptFailureForTests = null;
                    throw injected;
                }
                if (!sessions.tryAcquire() && !(evictIdlest() && acquireFreedPlace())) {
                    // a runaway client cannot make threads without end; the command says to retry
                    ControlSession.refuseBusy(client, MAX_SESSIONS);
                    continue;
                }
                placeTaken = true;
                session = new ControlSession(registry, client, sessions, live, this::watchStalls, jarBytes);
                live.add(session);
                Thread t = new Thread(session, "jlivepatch-control-session");
                t.setDaemon(true);
                t.start();
                placeTaken = false; // the session's thread gives it back as it ends
            } catch (Throwable e) {
                int failing = RecursionGuard.enterIfActive(); // nested inside work's when that was taken
                try {
                    if (afterFailure(mine, client, placeTaken ? session : null, placeTaken, !waitMarked, e)) {
                        return;
                    }
                } finally {
                    RecursionGuard.exit(failing);
                }
            } finally {
                RecursionGuard.exit(work);
            }
        }
    }

    /**
     * The next connection on {@code mine}, or {@code null} when the wait ended without one. The wait is
     * a select, not a blocking accept, because of what an interrupt of this thread does to each (read in
     * the JDK 17 and 25 sources; application code that interrupts every thread, as some shutdown or
     * watchdog code does, interrupts this one too):
     * <ul>
     * <li>a blocking {@code accept}: the channel is closed (AbstractInterruptibleChannel.begin's
     *     interruptor), and a connection the accept completed in that instant is neither returned nor
     *     closed ({@code end(completed)} throws ClosedByInterruptException all the same): that command
     *     got no hello, and its descriptor stayed open in this JVM;</li>
     * <li>{@code select}: only woken (AbstractSelector.begin's interruptor calls {@code wakeup}), the
     *     selector and the channel stay open; the interrupt stays set, and makes every select after it
     *     return at once, so the caller clears it after each one (after the accept, which in non-blocking
     *     mode does nothing with it: below). One landing after that clear only wakes the next select,
     *     which is cleared in turn;</li>
     * <li>a non-blocking {@code accept}: nothing (ServerSocketChannelImpl.accept installs the
     *     interruptor, and ends with {@code end(completed)}, only in blocking mode): a connection it
     *     takes is returned. So no interrupt closes the socket any more, and none loses a connection.</li>
     * </ul>
     * The channel {@code accept} returns is in blocking mode (its javadoc; finishAccept sets it), as
     * the sessions read and write it. A close of {@code mine} (its {@link Listening#close}) wakes the
     * select, after which the accept throws ClosedChannelException (or the next wait does, or the
     * select ClosedSelectorException).
     */
    private static SocketChannel next(Listening mine, boolean marked) throws IOException {
        mine.select();
        RuntimeException injected = waitFailureForTests;
        if (injected != null && !marked) {
            waitFailureForTests = null;
            throw injected;
        }
        mine.selector.selectedKeys().clear(); // the one key: the accept below is asked either way
        return mine.channel.accept();
    }

    /**
     * After a wake-up of the accept loop with nothing to accept: once too many came in a row
     * ({@link EmptyWakeups}), a pause, which a close of {@code mine} ends at once; the first said once
     * per server. The count and the log line marked (jlivepatch's code, short); the pause not.
     */
    private void backOff(Listening mine, EmptyWakeups wakeups) {
        long millis = wakeups.empty();
        if (millis == 0) {
            return;
        }
        int mark = RecursionGuard.enterIfActive();
        try {
            emptyPauses.incrementAndGet();
            if (wakeups.firstPause() && !spinSaid) {
                spinSaid = true; // a reopen's loop and the one it replaced may overlap: said twice at most
                Log.get().log(System.Logger.Level.WARNING, "the jlivepatch control socket's wait for a command"
                        + " returned " + wakeups.said() + " with no command to accept (a patch of a JDK method its"
                        + " selector runs that returns without waiting? a JDK bug?): it now pauses after each such return, up to "
                        + EmptyWakeups.MAX_PAUSE_MILLIS + " ms, until a command connects; commands are served all"
                        + " the same; this is not said again");
            }
        } catch (Throwable e) {
            // out of memory for the line, say: the pause all the same
        } finally {
            RecursionGuard.exit(mark);
        }
        mine.pause(millis);
    }

    /**
     * What the accept loop does after {@code e}: gives back the place a session that never ran had
     * taken, turns {@code client} away, and pauses; or, when the socket itself closed, deletes its
     * file. Never throws: nothing may end the loop but the socket's close.
     *
     * @param unmarked whether the wait and accept that ran ran unmarked
     * @return whether the loop ends: the socket is closed
     */
    private boolean afterFailure(Listening mine, SocketChannel client, ControlSession session, boolean placeTaken,
                                 boolean unmarked, Throwable e) {
        try {
            if (placeTaken) {
                if (session != null) {
                    live.remove(session);
                }
                sessions.release(); // pairs with tryAcquire in serve: the session never ran
            }
            if (!mine.channel.isOpen() || !mine.selector.isOpen()) {
                if (!ClosedAtExit.exiting() && listening == mine) {
                    lost(mine, e);
                }
                return true;
            }
            turnAway(client, e);
            if (client == null && unmarked) {
                // The unmarked wait or accept failed: maybe a patch of a JDK method it runs (the selector's
                // HashMap.get throws as a connection arrives), whose failure the marked one after it does not
                // meet. Paused, every command waited a second for its hello while such a patch was enabled.
                // A failure of the system's fails the marked one too, which pauses.
                return false;
            }
            // accept itself failed (out of descriptors, say): it fails again at once until they are back
            pause(client == null ? 1000 : failurePauseMillis);
        } catch (Throwable again) {
            // out of memory, say: the next iteration tries again
        }
        return false;
    }

    /**
     * After a failure of the accept loop on {@code client} (null when accept itself failed): the
     * client is told why where there is memory to say it, and closed; the failure is logged once per
     * kind. Never throws.
     */
    private void turnAway(SocketChannel client, Throwable e) {
        if (client != null) {
            try {
                ControlSession.refuse(client, "BUSY: this JVM could not serve the command (" + e + "): it is at a"
                        + " limit on memory, threads (its user's 'ulimit -u', its cgroup's pids.max) or file"
                        + " descriptors; retry later");
            } catch (Throwable again) {
                try {
                    client.close();
                } catch (Throwable ignored) {
                    // nothing more can be done for this client
                }
            }
        }
        try {
            if (failuresSaid.add(e.getClass())) {
                Log.get().log(System.Logger.Level.WARNING, "the jlivepatch control socket could not serve a"
                        + " connection (" + e + "); it goes on accepting, and this kind of failure is not said"
                        + " again");
            }
        } catch (Throwable ignored) {
            // without memory for a log line: the loop goes on all the same
        }
    }

    /**
     * {@code mine} closed under its accept loop (neither at the JVM's exit nor by a reopen): its file
     * is deleted, if it is still this socket's, so that the next command finds it gone and attaches
     * the agent, which opens a new one. Never throws.
     */
    private void lost(Listening mine, Throwable e) {
        mine.closed = true;
        mine.close();
        boolean deleted = false;
        try {
            deleted = isOurs(mine) && Files.deleteIfExists(mine.path);
        } catch (Throwable ignored) {
            // left in place: the command then finds its connection refused, and asks for a reopen all the same
        }
        try {
            Log.get().log(System.Logger.Level.ERROR, "the jlivepatch control socket " + mine.path + " closed (" + e
                    + ")" + (deleted ? " and its file was deleted" : "") + "; the next jlivepatch command attaches the"
                    + " agent again, which opens a new one; patches already loaded are not affected");
        } catch (Throwable ignored) {
            // the file is gone all the same: the next command reopens
        }
    }

    /** Whether the file at {@code l}'s path is the one {@code l} was bound to (never another's socket). */
    private static boolean isOurs(Listening l) {
        try {
            Object key = Files.readAttributes(l.path, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
            return key != null && key.equals(l.fileKey);
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    /**
     * Closes the listening channel under its accept loop, as nothing but the JVM's exit or a reopen
     * does otherwise, and wakes the loop (a channel's close alone does not end its select; see
     * Listening.close): the loop then takes it as lost. Tests only.
     */
    public static void closeSocketForTests() throws IOException {
        ControlServer server = running;
        Listening l = server == null ? null : server.listening;
        if (l != null) {
            l.channel.close();
            l.selector.wakeup();
        }
    }

    /**
     * Makes sure a stall watch runs: called by a session's thread as it starts to receive a call
     * (after it set its receiving flag). The flag {@link #watching} and each session's receiving flag
     * are a Dekker pair: a session sets its own then reads {@code watching}; the watch clears
     * {@code watching} then reads every session's. Both volatile: at least one sees the other's
     * write, so no call is received unwatched. Never throws: the call goes on unwatched if no thread
     * can be started.
     */
    private void watchStalls() {
        if (watching.get() || !watching.compareAndSet(false, true)) {
            return;
        }
        try {
            new OwnThread(this::watch, "jlivepatch-control-stalls").start();
        } catch (Throwable e) {
            watching.set(false); // the next call tries again
            turnAway(null, e);
        }
    }

    /**
     * The stall watch: while any session is receiving a call, closes those that have received
     * nothing for {@link #stallNanos}. Marked (RecursionGuard) only while it looks, never while it
     * waits; ends once no call is being received.
     */
    private void watch() {
        while (true) {
            long limit = stallNanos;
            try {
                Thread.sleep(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(limit) / 4, 1000)));
            } catch (InterruptedException e) {
                // a daemon of jlivepatch's own: nobody interrupts it; look again at once
            }
            int mark = RecursionGuard.enterIfActive();
            try {
                if (!closeStalled(limit)) {
                    watching.set(false);
                    // a session that started a call after the look above saw watching still set
                    if (!anyReceiving() || !watching.compareAndSet(false, true)) {
                        return;
                    }
                }
            } catch (Throwable e) {
                // out of memory, say: look again after the pause
            } finally {
                RecursionGuard.exit(mark);
            }
        }
    }

    /** Closes the sessions stalled in a call for {@code limit}; whether any session is receiving a call. */
    private boolean closeStalled(long limit) {
        boolean any = false;
        long now = System.nanoTime();
        for (ControlSession s : live) {
            if (!s.receiving()) {
                continue;
            }
            any = true;
            long quiet = s.closeIfStalled(now, limit);
            if (quiet >= 0) {
                Log.get().log(System.Logger.Level.WARNING, "closed a jlivepatch command's connection that had sent"
                        + " part of a call and then nothing for " + TimeUnit.NANOSECONDS.toMillis(quiet) + " ms (the"
                        + " limit is " + (limit % 1_000_000_000L == 0 ? limit / 1_000_000_000L + " s"
                        : TimeUnit.NANOSECONDS.toMillis(limit) + " ms") + "); the call was not run");
            }
        }
        return any;
    }

    private boolean anyReceiving() {
        for (ControlSession s : live) {
            if (s.receiving()) {
                return true;
            }
        }
        return false;
    }

    /** Publishes why the socket did not open ({@link #FAILURE_PROPERTY}); never throws. */
    private static void failed(Throwable e) {
        try {
            System.setProperty(FAILURE_PROPERTY, e.getMessage() != null ? e.getMessage() : e.toString());
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // a security manager, say: the log has it
        }
    }

    /** Closes the session that has waited longest for its client, if that is long enough; true if one was. */
    private boolean evictIdlest() {
        long now = System.nanoTime();
        long limit = idleNanos;
        ControlSession idlest = null;
        long longest = -1;
        for (ControlSession s : live) {
            long idle = s.idleNanos(now);
            if (idle >= limit && idle > longest) {
                idlest = s;
                longest = idle;
            }
        }
        if (idlest == null) {
            return false;
        }
        String did = idlest.whatItDid(now); // before the close, after which its thread moves on
        if (!idlest.evictIfIdle(now, limit)) {
            return false;
        }
        Log.get().log(System.Logger.Level.WARNING, "closed a jlivepatch command's connection to make room for another"
                + " (at most " + MAX_SESSIONS + " at once): " + did);
        return true;
    }

    /** The place an evicted session gives back as its thread ends (its blocked read fails at once). */
    private boolean acquireFreedPlace() {
        try {
            return sessions.tryAcquire(2, TimeUnit.SECONDS); // pairs with release in ControlSession.run
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** How many wake-ups in a row with nothing to accept the accept loop takes before it pauses; for tests. */
    public static final int EMPTY_WAKEUPS_BEFORE_PAUSES = EmptyWakeups.FREE;

    /** Makes the next {@link #startInBackground} fail with {@code e} before its thread starts; for tests. */
    public static void failNextStartForTests(Error e) {
        startFailureForTests = e;
    }

    /** Sets how long a session may receive nothing in the middle of a call; for tests. */
    public static void stallAfterForTests(java.time.Duration stall) {
        stallNanos = stall.toNanos();
    }

    /**
     * Makes the accept loop's next unmarked wait throw {@code e} as a connection arrives, as a throwing patch of
     * a JDK method the select runs would; for tests.
     */
    public static void failNextUnmarkedWaitForTests(RuntimeException e) {
        waitFailureForTests = e;
    }

    /** Makes the next open of the socket throw {@code e} once its selector is open and registered; for tests. */
    public static void failNextOpenForTests(Error e) {
        openFailureForTests = e;
    }

    /**
     * Makes the accept loop's next {@code waits} waits return at once with nothing selected, as a select
     * patched to return without waiting does; for tests. A test waits for {@link #waitsAtOnceLeftForTests}
     * to reach 0.
     */
    public static void waitsAtOnceForTests(int waits) {
        Listening.atOnceForTests = waits;
    }

    /** How many of the waits {@link #waitsAtOnceForTests} asked for are still to come; for tests. */
    public static int waitsAtOnceLeftForTests() {
        return Listening.atOnceForTests;
    }

    /** How many times the accept loop paused after too many empty wake-ups in a row so far; for tests. */
    public static long emptyPausesForTests() {
        return emptyPauses.get();
    }

    /** Makes the server's next pause after empty wake-ups said again, as its first; for tests. */
    public static void sayEmptyWakeupsAgainForTests() {
        ControlServer server = running;
        if (server != null) {
            server.spinSaid = false;
        }
    }

    /** Sets the first and the longest pause after too many empty wake-ups in a row; for tests. */
    public static void emptyPausesForTests(java.time.Duration first, java.time.Duration max) {
        EmptyWakeups.pausesForTests(first, max);
    }

    /** How many times the accept loop paused after a failure so far; for tests. */
    public static long pausesForTests() {
        return pauses.get();
    }

    /** Makes the accept loop's next connection fail with {@code e} instead of being served; for tests. */
    public static void failNextAcceptForTests(Error e) {
        acceptFailureForTests = e;
    }

    /** How long a session must have waited for its client to be closed to make room ({@link #IDLE_SECONDS}). */
    static long idleNanos() {
        return idleNanos;
    }

    /** The room for patch JAR bytes the sessions' calls hold now, in bytes (0 before a start); for tests. */
    public static long jarBytesHeldForTests() {
        ControlServer server = running;
        return server == null ? 0 : server.jarBytes.held();
    }

    /**
     * Whether bytes arrived at or after {@code since} ({@link System#nanoTime}) on a session receiving a
     * call, as the stall watch sees them; for tests.
     */
    public static boolean bytesArrivedSinceForTests(long since) {
        ControlServer server = running;
        if (server != null) {
            for (ControlSession s : server.live) {
                if (s.receiving() && s.lastByte() - since >= 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Sets how long a session must have waited for its client to be evicted; for tests. */
    public static void idleAfterForTests(java.time.Duration idle) {
        idleNanos = idle.toNanos();
    }

    /**
     * The accept loop's pause after a failure, whole. An interrupt of its thread is an application's
     * (code that interrupts every thread; nothing of jlivepatch's interrupts it): cleared and slept
     * through ({@link OwnThread#clearApplicationInterrupt}). Before, it ended the pause and was set
     * again, so an accept that fails at once (no descriptors) was asked again at each interrupt, and
     * under interrupts that come without pause the loop spun.
     */
    private static void pause(long millis) {
        pauses.incrementAndGet();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (long left = end - System.nanoTime(); left > 0; left = end - System.nanoTime()) {
            OwnThread.clearApplicationInterrupt();
            java.util.concurrent.locks.LockSupport.parkNanos(left);
        }
    }

    /** Sets how long the accept loop pauses after a connection failed it; for tests. */
    public static void failurePauseForTests(java.time.Duration pause) {
        failurePauseMillis = pause.toMillis();
    }

    /** The listening socket, not published yet; {@code null} when the JVM exits already. */
    private static Listening open() throws IOException {
        Path dir = PrivateTempDir.open();
        PrivateTempDir.removeStale(dir, PREFIX);
        Path socket = dir.resolve(PREFIX + PrivateTempDir.currentPid() + "-" + Long.toHexString(System.nanoTime())
                + ".sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            server.close();
            // sun_path holds 108 bytes: only a path near that is the likely cause
            boolean tooLong = socket.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 100;
            throw new IOException("cannot listen on " + socket + " (" + e.getMessage() + ")" + (tooLong ? "; a path longer"
                    + " than about 100 bytes does not fit a UNIX socket: give the JVM a shorter -Djava.io.tmpdir"
                    : "; the next attach of the agent (any jlivepatch command) tries again"), e);
        }
        Object fileKey;
        Selector selector = null;
        try {
            try {
                // the directory is private already; the socket too, should the directory's mode ever change
                Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException notPosix) {
                // the directory is the user's own
            }
            new File(socket.toString()).deleteOnExit();
            fileKey = Files.readAttributes(socket, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
            // The accept loop waits in a select, which an interrupt of its thread only wakes (see next)
            server.configureBlocking(false);
            // The channel's own provider: the JDK registers a channel only with a selector of its provider
            selector = server.provider().openSelector();
            server.register(selector, SelectionKey.OP_ACCEPT);
            Error injected = openFailureForTests;
            if (injected != null) {
                openFailureForTests = null;
                throw injected;
            }
        } catch (IOException | RuntimeException | Error e) {
            // An Error too (no memory for the registration's key, say): its callers survive one (run,
            // reopenIfLost), and the bound channel, the selector's two descriptors and the socket's file
            // stayed for the JVM's life.
            Closing.quietly(server); // opened again at each lost socket: no bound channel may be left behind
            // nor a selector (its descriptors), which also ends the channel's deferred close; no select runs in it
            Closing.quietly(selector);
            deleteQuietly(socket); // nor its file (deleteOnExit refuses once the JVM's exit has begun)
            throw e;
        }
        Listening opened = new Listening(server, selector, socket, fileKey);
        // Closed when the JVM shuts down: this thread waits in select, in native code, which would
        // hold the JVM's exit for 0.3 s (ClosedAtExit). Before the path is published (by the caller), so
        // that no command (nor a test) can see the socket open and the exit begin with it not yet registered.
        if (!ClosedAtExit.add(opened)) {
            // The JVM exits already: closed, and its file removed now, as the JDK's own removal at exit
            // may have run before this bind (else a stale file stays until the next start's removeStale).
            deleteQuietly(socket);
            return null;
        }
        return opened;
    }

    private static void deleteQuietly(Path socket) {
        try {
            Files.deleteIfExists(socket);
        } catch (IOException | RuntimeException ignored) {
            // left to the next start's removeStale, which removes the files of ended JVMs
        }
    }
}
