package io.jlivepatch.internal.control;

import io.jlivepatch.internal.Closing;
import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.OwnThread;
import io.jlivepatch.internal.Text;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.Channels;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A command's connection, read and written without blocking through a selector of its own, so that
 * no interrupt of the session's thread can close it. Application code that interrupts every thread
 * (some shutdown and watchdog code does) would otherwise end a command's connection: the JDK closes
 * a blocking channel whose thread is interrupted in, or before, a read or write, and on JDK 19 and
 * later even one the thread enters after it cleared the interrupt ({@code Thread.interrupt} sets the
 * status first and looks for the channel to close after, so a thread that took the status in the
 * meantime and went on to its next read has that read's channel closed: no clearing can prevent it).
 * A non-blocking read or write is not interruptible at all, and an interrupt of a thread in
 * {@link Selector#select} only wakes it ({@code AbstractSelector.begin}); the thread, jlivepatch's
 * own, clears it and selects again.
 *
 * <p>Any thread may {@link #close} it (an eviction, the stall watch, the JVM's exit): that closes
 * the channel and wakes the selector, and the session's read or write ends with an
 * {@link AsynchronousCloseException}, as a blocking one did. Only the session's thread reads,
 * writes and {@link #release releases}.
 */
final class SessionChannel implements AutoCloseable {

    private final SocketChannel channel;
    /**
     * Set once by the session's thread ({@link #open}), read by a thread that closes: volatile, written
     * after the channel is made non-blocking and before the first look at {@code isOpen} in
     * {@link #await}. A closer closes the channel (a volatile write in the JDK) before it reads this
     * field: either the closer sees the selector and wakes it, or the session's look sees the channel
     * closed; never neither.
     */
    private volatile Selector selector;
    private SelectionKey key;
    /** The empty wake-ups in a row of the read or write under way; the session's thread only. */
    private final EmptyWakeups wakeups = new EmptyWakeups();
    /** What a pause after empty wake-ups waits on, and a close notifies. */
    private final Object pauseLock = new Object();
    /** Whether a session's pauses after empty wake-ups were said (once per JVM). */
    private static final AtomicBoolean SAID = new AtomicBoolean();
    /** How many times a session paused after too many empty wake-ups in a row; tests only read it. */
    private static final AtomicLong emptyPauses = new AtomicLong();
    /** How many of the next waits return at once with nothing selected (a select that never waits); tests only. */
    private static volatile int atOnceForTests;
    /** Makes the next {@link #open} find no selector; for tests. */
    private static volatile IOException selectorFailureForTests;
    /** Thrown by the next {@link #open} once its selector is open, before the channel is registered; for tests. */
    private static volatile Error registrationFailureForTests;

    SessionChannel(SocketChannel channel) {
        this.channel = channel;
    }

    /**
     * Makes the channel non-blocking with a selector of its own; on the session's thread, before any
     * read. A JVM out of file descriptors (a selector takes two) gets the blocking channel, as every
     * connection had before: served, though an interrupt of its thread ends it (said at DEBUG).
     */
    void open() throws IOException {
        Selector s;
        try {
            IOException failure = selectorFailureForTests;
            if (failure != null) {
                selectorFailureForTests = null;
                throw failure;
            }
            // The channel's own provider, as the JDK requires of a selector it registers with (an
            // application may set another with -Djava.nio.channels.spi.SelectorProvider)
            s = channel.provider().openSelector();
        } catch (IOException e) {
            Log.get().log(System.Logger.Level.DEBUG, "a jlivepatch command's connection reads and writes blocking, so"
                    + " that an interrupt of its thread ends it: no selector (" + Text.clean(String.valueOf(e)) + ")");
            return;
        }
        // Closed here unless kept, whatever ends the setup: an OutOfMemoryError too, which the session
        // survives (ControlSession.run), but whose selector release() never sees (selector still null)
        // kept its two descriptors, epoll's and its wakeup's, for the life of the JVM.
        boolean kept = false;
        try {
            Error injected = registrationFailureForTests;
            if (injected != null) {
                registrationFailureForTests = null;
                throw injected;
            }
            channel.configureBlocking(false);
            key = channel.register(s, 0);
            selector = s;
            kept = true;
        } finally {
            if (!kept) {
                Closing.quietly(s); // nothing waits in it yet
            }
        }
    }

    /** Makes the next {@link #open} find no selector, as a JVM out of file descriptors does; for tests. */
    static void failNextSelectorForTests(IOException e) {
        selectorFailureForTests = e;
    }

    /** Makes the next {@link #open} fail with {@code e} once its selector is open (out of memory, say); for tests. */
    static void failNextRegistrationForTests(Error e) {
        registrationFailureForTests = e;
    }

    /** Makes the next {@code waits} waits of any session return at once with nothing selected; for tests. */
    static void waitsAtOnceForTests(int waits) {
        atOnceForTests = waits;
    }

    /** How many of the waits {@link #waitsAtOnceForTests} asked for are still to come; for tests. */
    static int waitsAtOnceLeftForTests() {
        return atOnceForTests;
    }

    /** How many times a session paused after too many empty wake-ups in a row so far; for tests. */
    static long emptyPausesForTests() {
        return emptyPauses.get();
    }

    /** The channel itself, for its options (the peer's credentials). */
    SocketChannel channel() {
        return channel;
    }

    /** The client's bytes; a read waits for at least one, or the end. */
    InputStream in() {
        if (selector == null) {
            return Channels.newInputStream(channel);
        }
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
                wakeups.reset();
                for (boolean woken = false; ; woken = true) {
                    int n = channel.read(buffer);
                    if (n != 0) {
                        return n;
                    }
                    if (woken) {
                        backOff(); // woken, and still nothing to read
                    }
                    await(SelectionKey.OP_READ);
                }
            }
        };
    }

    /** To the client; a write returns once all of it is with the socket. */
    OutputStream out() {
        if (selector == null) {
            return Channels.newOutputStream(channel);
        }
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
                wakeups.reset();
                boolean woken = false;
                while (buffer.hasRemaining()) {
                    if (channel.write(buffer) != 0) {
                        wakeups.reset();
                        woken = false;
                        continue;
                    }
                    if (woken) {
                        backOff(); // woken, and still no room to write
                    }
                    await(SelectionKey.OP_WRITE);
                    woken = true;
                }
            }
        };
    }

    /**
     * Waits until the channel may be read or written ({@code ops}), or is closed. An interrupt only
     * ends the select; it is cleared before each (a select with it set returns at once, and the
     * thread would spin): the thread is jlivepatch's own, and an application's interrupt of every
     * thread asks nothing of it.
     */
    private void await(int ops) throws IOException {
        Selector s = selector;
        try {
            key.interestOps(ops);
            OwnThread.clearApplicationInterrupt();
            if (!channel.isOpen()) { // pairs with close's wakeup: one of the two sees the other
                throw new AsynchronousCloseException();
            }
            int atOnce = atOnceForTests;
            if (atOnce > 0) {
                atOnceForTests = atOnce - 1;
                s.selectNow();
            } else {
                s.select();
            }
            s.selectedKeys().clear();
            wakeups.woke(OwnThread.clearApplicationInterrupt());
        } catch (CancelledKeyException | ClosedSelectorException e) {
            throw new AsynchronousCloseException();
        }
        if (!channel.isOpen()) {
            throw new AsynchronousCloseException();
        }
    }

    /**
     * Closes the connection from any thread: its session's read or write ends. The selector stays
     * open for the session's thread, which {@link #release releases} it.
     */
    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            Selector s = selector; // after the close: pairs with await's look at isOpen
            if (s != null) {
                s.wakeup();
            }
            synchronized (pauseLock) {
                pauseLock.notifyAll(); // ends a pause after empty wake-ups (it looks at the channel, closed above)
            }
        }
    }

    /**
     * After a wake-up that found nothing to read or write: once too many came in a row
     * ({@link EmptyWakeups}), a pause, which a {@link #close} ends at once; the first said once per JVM.
     * A session is jlivepatch's own code, marked for its life, so no patch of a JDK method runs in its
     * select: what could make it return at once is a JDK bug (an interrupt's wake-up is not counted:
     * EmptyWakeups).
     */
    private void backOff() {
        long millis = wakeups.empty();
        if (millis == 0) {
            return;
        }
        emptyPauses.incrementAndGet();
        if (wakeups.firstPause() && SAID.compareAndSet(false, true)) {
            Log.get().log(System.Logger.Level.WARNING, "a jlivepatch command's connection woke " + wakeups.said()
                    + " with nothing to read or write (a JDK bug?): it now pauses between such wake-ups, up to " + EmptyWakeups.MAX_PAUSE_MILLIS
                    + " ms, until bytes move; this is not said again");
        }
        EmptyWakeups.pause(pauseLock, channel, millis);
    }

    /** Closes the connection and its selector; the session's thread, as it ends. */
    void release() {
        try {
            close();
        } catch (IOException ignored) {
            // closed either way
        } finally {
            // whatever the close threw: the selector's close deregisters the channel, whose descriptor
            // the JDK closes only then
            Closing.quietly(selector); // the session's own thread, which waits in it no more
        }
    }
}
