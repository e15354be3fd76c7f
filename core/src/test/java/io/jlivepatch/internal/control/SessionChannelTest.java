package io.jlivepatch.internal.control;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A command's connection as its session reads and writes it: no interrupt of the session's thread
 * closes it, a close from another thread (an eviction, the stall watch, the JVM's exit) ends a read
 * or write that waits, and its descriptors are given back at the end. Without a selector (a JVM out
 * of file descriptors) it is the blocking channel, as every connection was before.
 */
@Timeout(60)
class SessionChannelTest {

    @TempDir
    Path dir;

    private ServerSocketChannel server;
    private SocketChannel peer;
    private SocketChannel accepted;

    @BeforeEach
    void connect() throws IOException {
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(dir.resolve("s.sock")));
        peer = SocketChannel.open(StandardProtocolFamily.UNIX);
        peer.connect(server.getLocalAddress());
        accepted = server.accept();
    }

    @AfterEach
    void close() throws IOException {
        SessionChannel.failNextSelectorForTests(null);
        SessionChannel.failNextRegistrationForTests(null);
        SessionChannel.waitsAtOnceForTests(0);
        EmptyWakeups.pausesForTests(java.time.Duration.ofMillis(EmptyWakeups.FIRST_PAUSE_MILLIS),
                java.time.Duration.ofMillis(EmptyWakeups.MAX_PAUSE_MILLIS));
        peer.close();
        accepted.close();
        server.close();
    }

    @Test
    void aReadInterruptedAgainAndAgainGetsThePeersBytesAndTheConnectionGoesOn() throws Exception {
        SessionChannel c = new SessionChannel(accepted);
        c.open();
        InputStream in = c.in();
        OutputStream out = c.out();
        for (int round = 0; round < 20; round++) {
            byte[] got = new byte[3];
            Thread[] reader = new Thread[1];
            CompletableFuture<Integer> read = new CompletableFuture<>();
            reader[0] = new Thread(() -> {
                try {
                    int n = 0;
                    while (n < got.length) {
                        n += in.read(got, n, got.length - n);
                    }
                    read.complete(n);
                } catch (Throwable e) {
                    read.completeExceptionally(e);
                }
            }, "session-reader");
            reader[0].start();
            waitUntilSelecting(reader[0]);
            for (int i = 0; i < 50; i++) {
                reader[0].interrupt(); // as application code that interrupts every thread does
            }
            peer.write(ByteBuffer.wrap(new byte[] {1, 2, (byte) round}));
            assertEquals(3, read.get(10, TimeUnit.SECONDS), "round " + round);
            assertArrayEquals(new byte[] {1, 2, (byte) round}, got);
            reader[0].join(10_000);
            out.write(new byte[] {9, (byte) round}); // and the reply goes out
            out.flush();
            ByteBuffer reply = ByteBuffer.allocate(2);
            while (reply.hasRemaining()) {
                peer.read(reply);
            }
            assertArrayEquals(new byte[] {9, (byte) round}, reply.array());
        }
        assertTrue(accepted.isOpen(), "the connection is open");
        c.release();
        assertFalse(accepted.isOpen(), "released: closed");
    }

    @Test
    void aWriteToAPeerThatStoppedReadingWaitsUntilAnotherThreadClosesIt() throws Exception {
        SessionChannel c = new SessionChannel(accepted);
        c.open();
        OutputStream out = c.out();
        CompletableFuture<Void> writing = new CompletableFuture<>();
        Thread writer = new Thread(() -> {
            try {
                byte[] chunk = new byte[64 * 1024];
                for (int i = 0; i < 10_000; i++) { // far beyond what the socket buffers hold
                    out.write(chunk);
                }
                writing.complete(null);
            } catch (Throwable e) {
                writing.completeExceptionally(e);
            }
        }, "session-writer");
        writer.start();
        waitUntilSelecting(writer);
        writer.interrupt(); // no effect on a write that waits
        assertFalse(writing.isDone(), "still waiting for the peer");
        c.close(); // an eviction: the thread's write ends
        ExecutionException ended = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> writing.get(10, TimeUnit.SECONDS));
        // Asynchronous when the close finds it waiting; the interrupt's wake-up may have it back in a write
        // (the socket's buffer still full), which then finds the channel closed
        assertInstanceOf(java.nio.channels.ClosedChannelException.class, ended.getCause());
        writer.join(10_000);
        c.release();
    }

    @Test
    void aCloseBeforeTheFirstReadEndsIt() throws Exception {
        SessionChannel c = new SessionChannel(accepted);
        c.open();
        c.close(); // the JVM's exit, before the session's thread reads
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> c.in().read());
        assertTrue(e instanceof AsynchronousCloseException || e instanceof java.nio.channels.ClosedChannelException,
                String.valueOf(e));
        c.release();
    }

    @Test
    void withoutASelectorTheConnectionIsServedBlockingAsBefore() throws Exception {
        SessionChannel.failNextSelectorForTests(new IOException("Too many open files"));
        SessionChannel c = new SessionChannel(accepted);
        c.open();
        assertTrue(accepted.isBlocking(), "the blocking channel");
        peer.write(ByteBuffer.wrap(new byte[] {7}));
        assertEquals(7, c.in().read());
        c.out().write(8);
        ByteBuffer reply = ByteBuffer.allocate(1);
        peer.read(reply);
        assertEquals(8, reply.get(0));
        // as before: an interrupt of a blocked read closes the connection
        CompletableFuture<Integer> read = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                read.complete(c.in().read());
            } catch (Throwable e) {
                read.completeExceptionally(e);
            }
        });
        reader.start();
        waitUntilWaiting(reader);
        reader.interrupt();
        ExecutionException ended = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> read.get(10, TimeUnit.SECONDS));
        assertInstanceOf(ClosedByInterruptException.class, ended.getCause());
        c.release();
    }

    /**
     * An OutOfMemoryError as the connection is set up, after its selector opened (the session
     * survives one, ControlSession.run): the selector's descriptors are given back. They were not:
     * open() closed the selector only on an IOException or a RuntimeException, and release() knew
     * no selector, so every such session left an epoll and an eventfd open for the life of the JVM.
     */
    @Test
    void anErrorAfterTheSelectorOpenedLeavesNoDescriptorOpen() throws Exception {
        int before = selectorDescriptors();
        SessionChannel c = new SessionChannel(accepted);
        SessionChannel.failNextRegistrationForTests(new OutOfMemoryError("injected: no memory to register"));
        OutOfMemoryError e = org.junit.jupiter.api.Assertions.assertThrows(OutOfMemoryError.class, c::open);
        assertEquals("injected: no memory to register", e.getMessage());
        c.release(); // as the session's thread does as it ends
        assertFalse(accepted.isOpen(), "released: closed");
        awaitSelectorDescriptorsAtMost(before);
    }

    /**
     * Every way a connection with a selector ends gives its descriptors back: released as the session
     * ends, closed by another thread (an eviction, the JVM's exit) while its read waits, and closed
     * before it was set up.
     */
    @Test
    void noWayOfEndingLeavesADescriptorOpen() throws Exception {
        int before = selectorDescriptors();
        SessionChannel plain = new SessionChannel(accepted);
        plain.open();
        assertTrue(selectorDescriptors() > before, "a selector is open");
        plain.release();
        awaitSelectorDescriptorsAtMost(before);

        SessionChannel waiting = new SessionChannel(connectAgain());
        waiting.open();
        CompletableFuture<Integer> read = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                read.complete(waiting.in().read());
            } catch (Throwable t) {
                read.completeExceptionally(t);
            } finally {
                waiting.release();
            }
        }, "session-reader");
        reader.start();
        waitUntilSelecting(reader);
        waiting.close(); // an eviction
        ExecutionException ended = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> read.get(10, TimeUnit.SECONDS));
        assertInstanceOf(AsynchronousCloseException.class, ended.getCause());
        reader.join(10_000);
        awaitSelectorDescriptorsAtMost(before);

        SocketChannel third = connectAgain();
        SessionChannel closedFirst = new SessionChannel(third);
        closedFirst.close(); // the JVM's exit, before the session's thread set it up
        org.junit.jupiter.api.Assertions.assertThrows(java.nio.channels.ClosedChannelException.class,
                closedFirst::open);
        closedFirst.release();
        awaitSelectorDescriptorsAtMost(before);
    }

    /**
     * A select that returns at once with nothing ready, again and again (a JDK bug; application code
     * that interrupts the thread without pause): past {@link EmptyWakeups#FREE} wake-ups in a row each
     * one is followed by a pause, and the read still gets the peer's bytes after. Counted, not timed:
     * the pauses against the wake-ups. Before, the read asked again at once, for as long as it lasted
     * (no pause at all).
     */
    @Test
    void aSelectReturningAtOnceAgainAndAgainPausesTheReadInsteadOfSpinning() throws Exception {
        EmptyWakeups.pausesForTests(java.time.Duration.ofMillis(1), java.time.Duration.ofMillis(1));
        SessionChannel c = new SessionChannel(accepted);
        c.open();
        int atOnce = EmptyWakeups.FREE + 20;
        long pausesBefore = SessionChannel.emptyPausesForTests();
        SessionChannel.waitsAtOnceForTests(atOnce);
        byte[] got = new byte[1];
        CompletableFuture<Integer> read = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                read.complete(c.in().read(got, 0, 1));
            } catch (Throwable e) {
                read.completeExceptionally(e);
            }
        }, "session-reader");
        reader.start();
        for (int i = 0; i < 3000 && SessionChannel.waitsAtOnceLeftForTests() > 0; i++) {
            Thread.sleep(10); // a hang guard: the waits that return at once are over in a moment
        }
        assertEquals(0, SessionChannel.waitsAtOnceLeftForTests(), "the waits returned at once");
        // Each wait that returned at once is a wake-up with nothing to read; the last one's pause may be to come
        long paused = SessionChannel.emptyPausesForTests() - pausesBefore;
        assertTrue(paused >= atOnce - EmptyWakeups.FREE - 1, "paused " + paused + " times after " + atOnce
                + " wake-ups in a row with nothing to read");
        assertFalse(read.isDone(), "the read waits for the peer");
        peer.write(ByteBuffer.wrap(new byte[] {42}));
        assertEquals(1, read.get(10, TimeUnit.SECONDS));
        assertEquals(42, got[0]);
        reader.join(10_000);
        c.release();
    }

    /**
     * A close from another thread (an eviction, the JVM's exit) ends a pause after empty wake-ups at once:
     * the pause is an hour here, and the read ends with the close.
     */
    @Test
    void aCloseEndsAPauseAfterEmptyWakeups() throws Exception {
        EmptyWakeups.pausesForTests(java.time.Duration.ofHours(1), java.time.Duration.ofHours(1));
        SessionChannel c = new SessionChannel(accepted);
        c.open();
        long pausesBefore = SessionChannel.emptyPausesForTests();
        SessionChannel.waitsAtOnceForTests(EmptyWakeups.FREE + 5);
        CompletableFuture<Integer> read = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try {
                read.complete(c.in().read());
            } catch (Throwable e) {
                read.completeExceptionally(e);
            }
        }, "session-reader");
        reader.start();
        for (int i = 0; i < 3000 && SessionChannel.emptyPausesForTests() == pausesBefore; i++) {
            Thread.sleep(10);
        }
        assertTrue(SessionChannel.emptyPausesForTests() > pausesBefore, "the read paused");
        c.close();
        ExecutionException ended = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> read.get(10, TimeUnit.SECONDS));
        assertInstanceOf(AsynchronousCloseException.class, ended.getCause());
        reader.join(10_000);
        c.release();
    }

    /** Another connection to the test's server, as accepted there. */
    private SocketChannel connectAgain() throws IOException {
        SocketChannel other = SocketChannel.open(StandardProtocolFamily.UNIX);
        other.connect(server.getLocalAddress());
        SocketChannel in = server.accept();
        others.add(other);
        others.add(in);
        return in;
    }

    private final java.util.List<SocketChannel> others = new java.util.ArrayList<>();

    @AfterEach
    void closeOthers() throws IOException {
        for (SocketChannel c : others) {
            c.close();
        }
    }

    /** The JVM's open epoll and eventfd descriptors: a selector holds one of each on Linux (JDK 17 and 25). */
    private static int selectorDescriptors() throws IOException {
        int n = 0;
        try (java.util.stream.Stream<Path> fds = java.nio.file.Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String to = java.nio.file.Files.readSymbolicLink(fd).toString();
                    if (to.equals("anon_inode:[eventpoll]") || to.equals("anon_inode:[eventfd]")) {
                        n++;
                    }
                } catch (IOException gone) {
                    // closed meanwhile (the listing's own descriptor, another thread's)
                }
            }
        }
        return n;
    }

    /**
     * Waits (10 s at most) until no more selector descriptors are open than {@code most}: another
     * test's thread of this JVM may hold one for a moment, a leaked one stays.
     */
    private static void awaitSelectorDescriptorsAtMost(int most) throws Exception {
        int now = selectorDescriptors();
        for (int i = 0; i < 1000 && now > most; i++) {
            Thread.sleep(10);
            now = selectorDescriptors();
        }
        assertTrue(now <= most, "selector descriptors open: " + now + ", before: " + most);
    }

    /**
     * Waits (10 s at most) until {@code t} waits in its selector (epoll_wait): a thread seen in any
     * native method may be in the non-blocking read or write before it, where a close from another
     * thread makes the next one fail with ClosedChannelException, not wake a wait.
     */
    private static void waitUntilSelecting(Thread t) throws InterruptedException {
        for (int i = 0; i < 1000; i++) {
            for (StackTraceElement f : t.getStackTrace()) {
                if (f.isNativeMethod() && f.getClassName().equals("sun.nio.ch.EPoll")) {
                    return;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError(t.getName() + " never waited in its selector");
    }

    /** Waits (10 s at most) until {@code t} waits in native code or parks: in its read or write. */
    private static void waitUntilWaiting(Thread t) throws InterruptedException {
        for (int i = 0; i < 1000; i++) {
            for (StackTraceElement f : t.getStackTrace()) {
                if (f.isNativeMethod()) {
                    return;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError(t.getName() + " never waited");
    }
}
