package io.jlivepatch.internal.control;

import io.jlivepatch.internal.ClosedAtExit;
import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.OwnThread;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.patch.PrivateTempDir;
import io.jlivepatch.internal.patch.RecursionGuard;

import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
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
 * each reply, and a call that runs is never idle).
 */
public final class ControlServer implements Runnable {

    /** The socket's path, set once it listens. */
    public static final String PROPERTY = io.jlivepatch.control.LocalChannel.PROPERTY;
    static final String PREFIX = "control-";
    static final int MAX_SESSIONS = 8;
    public static final long IDLE_SECONDS = 10;
    /** {@link #IDLE_SECONDS} in nanoseconds; shorter in tests ({@link #idleAfterForTests}). */
    private static volatile long idleNanos = TimeUnit.SECONDS.toNanos(IDLE_SECONDS);

    private final PatchRegistry registry;
    private final Semaphore sessions = new Semaphore(MAX_SESSIONS);
    /** The sessions whose threads run: added here before their start, removed by themselves as they end. */
    private final Set<ControlSession> live = ConcurrentHashMap.newKeySet();

    private ControlServer(PatchRegistry registry) {
        this.registry = registry;
    }

    /** Opens the socket from a daemon thread, off the application's start-up; trouble is logged, never fatal. */
    public static void startInBackground(PatchRegistry registry) {
        // Lives as long as the JVM; the caller may be an application's thread (Livepatch.install).
        new OwnThread(new ControlServer(registry), "jlivepatch-control").start();
    }

    @Override
    public void run() {
        ServerSocketChannel server;
        // Marked (never runs a replacement) only while it runs jlivepatch's code: a thread that
        // stayed marked while it waits in accept would send every hooked call of the JVM down the
        // guard's slow path for the life of the JVM (Recursion.outside: the fast path is "no thread
        // is marked"). The sessions mark themselves for their short lives.
        int mark = RecursionGuard.enterIfActive();
        try {
            server = open();
        } catch (IOException | RuntimeException | LinkageError e) {
            Log.get().log(System.Logger.Level.ERROR, "the jlivepatch command cannot reach this JVM: its control"
                    + " socket failed (" + e + "); patches already loaded are not affected");
            return;
        } catch (OutOfMemoryError e) {
            return; // nothing can be logged without memory; the application goes on without the channel
        } finally {
            RecursionGuard.exit(mark);
        }
        if (server == null) {
            return; // the JVM exits already
        }
        try {
            while (true) {
                SocketChannel client;
                try {
                    client = server.accept();
                } catch (java.nio.channels.ClosedChannelException closed) {
                    if (ClosedAtExit.exiting()) {
                        return; // the JVM shuts down: ClosedAtExit closed it
                    }
                    throw closed;
                } catch (IOException e) {
                    // out of file descriptors, say: the channel must outlive it; retry after a pause
                    Log.get().log(System.Logger.Level.WARNING, "the jlivepatch control socket could not accept a"
                            + " connection (" + e + "); retrying in 1 s");
                    sleepQuietly();
                    continue;
                }
                if (!sessions.tryAcquire() && !(evictIdlest() && acquireFreedPlace())) {
                    // a runaway client cannot make threads without end; the command says to retry
                    ControlSession.refuseBusy(client, MAX_SESSIONS);
                    continue;
                }
                ControlSession session = null;
                try {
                    session = new ControlSession(registry, client, sessions, live);
                    live.add(session);
                    Thread t = new Thread(session, "jlivepatch-control-session");
                    t.setDaemon(true);
                    t.start();
                } catch (RuntimeException | OutOfMemoryError e) {
                    // no session or thread for it (out of memory or threads): this client goes, the channel stays
                    if (session != null) {
                        live.remove(session);
                    }
                    sessions.release(); // pairs with tryAcquire above: the session never ran
                    client.close();
                    sleepQuietly();
                }
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            Log.get().log(System.Logger.Level.ERROR, "the jlivepatch command cannot reach this JVM: its control"
                    + " socket failed (" + e + "); patches already loaded are not affected");
        } catch (OutOfMemoryError e) {
            // nothing can be logged without memory; the application goes on without the command's channel
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
        if (idlest == null || !idlest.evictIfIdle(now, limit)) {
            return false;
        }
        Log.get().log(System.Logger.Level.WARNING, "closed a jlivepatch command's connection that had neither sent"
                + " nor read anything for " + TimeUnit.NANOSECONDS.toSeconds(longest) + " s, to make room for another"
                + " (at most " + MAX_SESSIONS + " at once)");
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

    /** Sets how long a session must have waited for its client to be evicted; for tests. */
    public static void idleAfterForTests(java.time.Duration idle) {
        idleNanos = idle.toNanos();
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The listening socket, its path published; {@code null} when the JVM exits already. */
    private static ServerSocketChannel open() throws IOException {
        Path dir = PrivateTempDir.open();
        PrivateTempDir.removeStale(dir, PREFIX);
        Path socket = dir.resolve(PREFIX + PrivateTempDir.currentPid() + "-" + Long.toHexString(System.nanoTime())
                + ".sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            server.close();
            throw new IOException("cannot listen on " + socket + " (" + e.getMessage() + "); a path longer than about"
                    + " 100 bytes does not fit a UNIX socket: give the JVM a shorter -Djava.io.tmpdir", e);
        }
        try {
            // the directory is private already; the socket too, should the directory's mode ever change
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException notPosix) {
            // the directory is the user's own
        }
        new File(socket.toString()).deleteOnExit();
        // Closed when the JVM shuts down: this thread waits in accept, in native code, which would
        // hold the JVM's exit for 0.3 s (ClosedAtExit). Before the path is published, so that no
        // command (nor a test) can see the socket open and the exit begin with it not yet registered.
        if (!ClosedAtExit.add(server)) {
            return null; // the JVM exits already: closed
        }
        System.setProperty(PROPERTY, socket.toString());
        return server;
    }
}
