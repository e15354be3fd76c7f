package io.jlivepatch.jar;

import cbapp.Held;
import io.jlivepatch.Callbacks;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.control.LocalChannel;
import io.jlivepatch.internal.control.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command's proof that a closing callback holding its change's call is its own (agent CLI's ClosingLook): the
 * token of the connection the call came over (SessionCalls), which the agent answers only to whoever presents it.
 * status's closingBy names the pid the connection's hello states, which another local process of the same user can
 * state too: here a second connection stating the same pid gets its own token, which does not answer for the first
 * connection's closing, and status shows no token.
 */
class SessionTokenTest {

    private static final String NAME = "own-closing";

    private final List<SocketChannel> open = new ArrayList<>();
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch gate = new CountDownLatch(1);

    public static String work() {
        return "new";
    }

    @AfterEach
    void cleanUp() throws IOException, PatchException, InterruptedException {
        gate.countDown();
        for (SocketChannel c : open) {
            c.close();
        }
        for (PatchHandle h : Jars.lp().patches()) {
            h.awaitTransition(Duration.ofSeconds(10));
        }
        Jars.removeAll();
    }

    /** Registers the patch whose postPatch blocks until {@link #gate} opens. */
    private void register() throws Exception {
        Jars.lp().register(Patch.builder(NAME)
                .replace(Held.class.getMethod("work"), SessionTokenTest.class.getMethod("work"))
                .callbacks("cbapp.Held", new Callbacks() {
                    @Override
                    public void postPatch(Class<?> target) {
                        entered.countDown();
                        try {
                            gate.await(60, TimeUnit.SECONDS); // bounded: a failed test never keeps the lock for good
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }).build());
        Held.work(); // loaded: its postPatch runs in the enable's end
    }

    /** Sends the enable on {@code command}, on a thread of its own; the answer's status byte, or the failure. */
    private static Thread enable(Client command, AtomicReference<Object> answer) {
        Thread call = new Thread(() -> {
            try {
                answer.set(command.call(NAME, "setEnabled", new Class<?>[] {boolean.class}, true));
            } catch (IOException e) {
                answer.set(e);
            }
        }, "held enable");
        call.start();
        return call;
    }

    @Test
    void onlyTheConnectionWhoseCallItsClosingHoldsIsAnsweredWithTheCallback() throws Exception {
        register();
        Client command = client(4242);
        String token = command.string("", "getSessionToken");
        assertEquals(32, token.length(), token);
        assertEquals(token, command.string("", "getSessionToken"), "one token per connection");
        // No thread holds the transition: it ends inside the call, whose answer the blocking postPatch holds.
        AtomicReference<Object> answer = new AtomicReference<>();
        Thread call = enable(command, answer);
        assertTrue(entered.await(10, TimeUnit.SECONDS), "the enable's end ran postPatch");

        Client forger = client(4242); // the same stated pid, another connection
        String forgersToken = forger.string("", "getSessionToken");
        assertNotEquals(token, forgersToken);
        String status = forger.string("", "statusJson");
        assertTrue(status.contains("\"closingBy\":\"pid 4242 user "), status); // what the pid alone would prove
        assertFalse(status.contains(token) || status.contains(forgersToken), "status shows no token: " + status);
        assertNull(forger.string("", "statusOfOwnClosing", NAME, forgersToken));
        assertNull(forger.string("", "statusOfOwnClosing", NAME, token.toUpperCase()));
        assertNull(forger.string("", "statusOfOwnClosing", "no-such-patch", token));
        Client look = client(4242); // the command's look: a connection of its own, with the call's token
        String running = look.string("", "statusOfOwnClosing", NAME, token);
        assertTrue(running != null && running.startsWith("postPatch of cbapp.Held in class loader "), running);

        gate.countDown();
        call.join(10_000);
        assertEquals(Wire.OK, answer.get(), "the held enable is answered once its postPatch returns");
        Wire.readValue(command.in, 0);
        assertNull(look.string("", "statusOfOwnClosing", NAME, token), "no closing any more");
    }

    /**
     * A command told by its look that its own closing holds its call exits 3 and closes its connection: the answer's
     * write then finds it gone. That was a WARNING, "a jlivepatch command's connection ended", which alarmed an
     * operator for a command that left on purpose; now an INFO line that says what the call did.
     */
    @Test
    void theConnectionOfACommandThatLeftOnItsLooksWordEndsWithAnInfoLineOfWhatItsCallDid() throws Exception {
        register();
        List<String> lines = sessionEndLines(() -> {
            Client command = client(4243);
            String token = command.string("", "getSessionToken");
            Thread call = enable(command, new AtomicReference<>());
            assertTrue(entered.await(10, TimeUnit.SECONDS), "the enable's end ran postPatch");
            String running = client(4243).string("", "statusOfOwnClosing", NAME, token);
            assertTrue(running != null && running.startsWith("postPatch of cbapp.Held"), running);
            command.socket.close(); // the command exits 3, its call's answer unread
            gate.countDown();
            call.join(10_000);
        });
        assertEquals(1, lines.size(), lines.toString());
        String line = lines.get(0);
        assertTrue(line.startsWith("INFO a jlivepatch command left before its call's answer, as it does once its own"
                + " closing callback holds the call (exit 3): its enable of '" + NAME + "' was done; the answer was not"
                + " read ("), line);
    }

    /**
     * A connection whose look was answered with its closing, but whose command read its call's answer all the same
     * and sent a next call (its look's answer lost, say): it did not leave, so a failure later, here the connection
     * ending in the middle of that call, is the WARNING of any connection that failed. Before, the mark stayed for
     * the session's life, and the failure was an INFO line saying the command left with its answer unread.
     */
    @Test
    void aCommandThatReadItsAnswerAfterItsLookIsNoLongerTakenForOneThatLeft() throws Exception {
        register();
        List<String> lines = sessionEndLines(() -> {
            Client command = client(4244);
            String token = command.string("", "getSessionToken");
            AtomicReference<Object> answer = new AtomicReference<>();
            Thread call = enable(command, answer);
            assertTrue(entered.await(10, TimeUnit.SECONDS), "the enable's end ran postPatch");
            String running = client(4244).string("", "statusOfOwnClosing", NAME, token);
            assertTrue(running != null && running.startsWith("postPatch of cbapp.Held"), running);
            gate.countDown();
            call.join(10_000);
            assertEquals(Wire.OK, answer.get(), "the held enable is answered once its postPatch returns");
            Wire.readValue(command.in, 0); // read: this command did not leave
            command.out.writeByte(Wire.CALL); // a next call, cut short
            command.out.flush();
            command.socket.close();
        });
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("WARNING a jlivepatch command's connection ended: "), lines.get(0));
    }

    /** The lines that {@code session} makes the control socket log of a command's connection, once one is. */
    private static List<String> sessionEndLines(Session session) throws Exception {
        List<String> lines = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch ended = new CountDownLatch(1);
        java.util.logging.Logger log = java.util.logging.Logger.getLogger("io.jlivepatch");
        java.util.logging.Handler listen = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                String line = r.getLevel() + " " + new java.util.logging.SimpleFormatter().formatMessage(r);
                if (line.contains("a jlivepatch command")) {
                    lines.add(line);
                    ended.countDown();
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Level level = log.getLevel();
        log.setLevel(java.util.logging.Level.ALL); // the tests here log at WARNING only (Jars)
        log.addHandler(listen);
        try {
            session.run();
            assertTrue(ended.await(10, TimeUnit.SECONDS), "the session's end was logged: " + lines);
        } finally {
            log.removeHandler(listen);
            log.setLevel(level);
        }
        return lines;
    }

    /** What a test's command does over the control socket. */
    @FunctionalInterface
    private interface Session {
        void run() throws Exception;
    }

    /** A greeted connection stating {@code pid}; an earlier test's places are given back after a moment. */
    private Client client(long pid) throws Exception {
        for (int i = 0; i < 1000; i++) {
            Client c = connect();
            try {
                c.out.writeInt(Wire.MAGIC);
                c.out.writeLong(pid);
                c.out.flush();
                assertEquals(Wire.MAGIC, c.in.readInt());
                if (!Wire.readString(c.in).isEmpty()) {
                    return c;
                }
            } catch (IOException turnedAway) {
                // BUSY: the server closed before the greeting was written
            }
            Thread.sleep(10);
        }
        throw new AssertionError("every place of the control socket stayed taken for 10 s");
    }

    private Client connect() throws Exception {
        String path = null;
        for (int i = 0; i < 3000 && (path = System.getProperty(LocalChannel.PROPERTY)) == null; i++) {
            Thread.sleep(10); // the socket opens from a thread of jlivepatch's own
        }
        assertTrue(path != null, "the control socket is published in " + LocalChannel.PROPERTY);
        SocketChannel s = SocketChannel.open(StandardProtocolFamily.UNIX);
        s.connect(UnixDomainSocketAddress.of(path));
        open.add(s);
        return new Client(s);
    }

    private static final class Client {
        final SocketChannel socket;
        final DataInputStream in;
        final DataOutputStream out;

        Client(SocketChannel socket) {
            this.socket = socket;
            this.in = new DataInputStream(Channels.newInputStream(socket));
            this.out = new DataOutputStream(Channels.newOutputStream(socket));
        }

        /** Sends a call; returns the reply's status byte, the rest left to read. */
        byte call(String object, String method, Class<?>[] types, Object... args) throws IOException {
            out.writeByte(Wire.CALL);
            Wire.writeString(out, object);
            Wire.writeString(out, method);
            out.writeInt(args.length);
            for (int i = 0; i < args.length; i++) {
                Wire.writeValue(out, types[i], args[i]);
            }
            out.flush();
            return in.readByte();
        }

        /** A call of String arguments answered with a string (or null). */
        String string(String object, String method, String... args) throws IOException {
            Class<?>[] types = new Class<?>[args.length];
            java.util.Arrays.fill(types, String.class);
            byte status = call(object, method, types, (Object[]) args);
            if (status != Wire.OK) {
                throw new AssertionError(method + " answered " + status + ": " + Wire.readString(in));
            }
            return (String) Wire.readValue(in, 0);
        }
    }
}
