package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.control.LocalChannel;
import io.jlivepatch.internal.Sha256;
import io.jlivepatch.internal.control.ControlServer;
import io.jlivepatch.internal.control.Wire;
import io.jlivepatch.internal.jar.PatchJarBytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent's end of the command's socket, spoken to byte by byte: calls of the published
 * interfaces are answered, the requester is the stated pid and the kernel's user, and whatever a
 * client sends that is not a call ends its connection only, never the server.
 */
class ControlSocketTest {

    @TempDir
    Path dir;

    private final List<SocketChannel> open = new ArrayList<>();

    @BeforeEach
    void install() {
        Jars.lp();
    }

    @AfterEach
    void cleanUp() throws IOException, PatchException {
        for (SocketChannel c : open) {
            c.close();
        }
        Jars.removeAll();
    }

    /**
     * A connection to this JVM's control socket, greeted as the command greets it. The places an
     * earlier test's connections held are given back by their sessions' threads after the close,
     * not at once: a BUSY meanwhile is waited out, as a command's operator would retry.
     */
    private Client client(long pid) throws Exception {
        for (int i = 0; i < 1000; i++) {
            Client c = tryClient(pid);
            if (c != null) {
                return c;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("every place of the control socket stayed taken for 10 s");
    }

    /**
     * The server closed this connection and sent nothing. Closing a Unix socket with bytes still
     * unread in it (the stranger's request, the rest of a call the server gave up on) resets the
     * peer instead of ending its stream, so "connection reset" is the same answer as end-of-stream;
     * which one comes depends on how much the server had read, not on what it did.
     */
    private static void assertClosedWithoutAnswer(Client c) {
        try {
            assertEquals(-1, c.in.read(), "closed without an answer");
        } catch (IOException reset) {
            assertTrue(String.valueOf(reset.getMessage()).contains("reset"), () -> "closed, not " + reset);
        }
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

        /**
         * A stream whose flush sends the whole request in one write: the agent refuses a bad call as
         * soon as it reads what is wrong and closes, and a request written piece by piece would meet
         * the closed connection (Broken pipe) before its last piece went.
         */
        DataOutputStream request() {
            return new DataOutputStream(new java.io.BufferedOutputStream(Channels.newOutputStream(socket), 1 << 20));
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
    }

    @Test
    void aCallIsAnsweredAndALoadIsRecordedAsTheStatedPidAndTheKernelsUser() throws Exception {
        Client c = client(4242);
        assertEquals(Wire.OK, c.call("", "getPatches", new Class<?>[0]));
        assertArrayEquals(new String[0], (String[]) Wire.readValue(c.in, 0));

        byte[] jar = Files.readAllBytes(Jars.write(dir.resolve("fix.jar"), Jars.manifest("fix-socket", Jars.FIX),
                Jars.classes(Jars.FIX)));
        Class<?>[] load = {byte[].class, String.class, String.class, boolean.class, boolean.class};
        assertEquals(Wire.OK, c.call("", "loadContent", load, jar, Sha256.hex(jar), "/far/away/fix.jar", false,
                false));
        assertEquals("fix-socket", Wire.readValue(c.in, 0));
        assertEquals(Wire.OK, c.call("fix-socket", "getLoadedBy", new Class<?>[0]));
        assertEquals("pid 4242 user " + System.getProperty("user.name"), Wire.readValue(c.in, 0));
        assertEquals(Wire.OK, c.call("fix-socket", "getSource", new Class<?>[0]));
        assertEquals("/far/away/fix.jar", Wire.readValue(c.in, 0));
    }

    /**
     * A load whose prePatch throws InterruptedException: jlivepatch kept the interrupt on the thread that
     * ran the callback, this session's own, whose next write to the socket then closed the channel
     * (ClosedByInterruptException): the refusal, on record, never reached the command. The callback's
     * interrupt is the patch's, not the session's: the refusal is answered and the connection goes on.
     */
    @Test
    void aLoadWhosePrePatchWasInterruptedIsAnsweredAndTheConnectionGoesOn() throws Exception {
        Client c = client(4243);
        String fix = "jarapp.fix.InterruptedPrePatchFix";
        byte[] jar = Files.readAllBytes(Jars.write(dir.resolve("interrupted.jar"),
                Jars.manifest("fix-interrupted", fix), Jars.classes(fix)));
        Class<?>[] load = {byte[].class, String.class, String.class, boolean.class, boolean.class};
        assertEquals(Wire.REFUSED, c.call("", "loadContent", load, jar, Sha256.hex(jar), "/far/away/interrupted.jar",
                true, false));
        String refusal = Wire.readString(c.in);
        assertTrue(refusal.startsWith("CALLBACK_FAILED: patch 'fix-interrupted': prePatch of jarapp.Counter"),
                refusal);
        assertEquals(Wire.OK, c.call("", "getPatches", new Class<?>[0]));
        assertArrayEquals(new String[0], (String[]) Wire.readValue(c.in, 0));
    }

    /**
     * A load by path (a JMX client's, or any client of the socket) whose JAR is replaced by a named pipe
     * between its checks and its open: the open of a pipe waits for a writer, maybe for ever, and held
     * this session (one of its few places) for good. It is refused within the open's wait, and the
     * connection goes on. The 30 s bound is a hang detector: the call either answers at once or never.
     */
    @Test
    void aLoadOfAPathReplacedByAPipeIsRefusedAndTheConnectionGoesOn() throws Exception {
        Path fifo = io.jlivepatch.internal.Fifos.make(dir.resolve(".fifo"));
        Path jar = Jars.write(dir.resolve("fix.jar"), Jars.manifest("fix-pipe", Jars.FIX), Jars.classes(Jars.FIX));
        PatchJarBytes.openWaitForTests(Duration.ofMillis(200)); // the pipe's open never returns by itself
        PatchJarBytes.beforeOpenForTests(path -> {
            try {
                if (Files.exists(fifo, java.nio.file.LinkOption.NOFOLLOW_LINKS)) { // once
                    Files.move(fifo, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            Client c = client(7);
            Class<?>[] load = {String.class, boolean.class};
            assertEquals(Wire.REFUSED, org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                    Duration.ofSeconds(30), () -> c.call("", "load", load, jar.toString(), true)));
            String refused = Wire.readString(c.in);
            assertTrue(refused.startsWith("INVALID_PATCH: ") && refused.contains("patch JAR " + jar + ": could not be"
                    + " opened within 200 ms, though it was a regular file when checked"), refused);
            assertEquals(Wire.OK, c.call("", "getPatches", new Class<?>[0]));
            assertArrayEquals(new String[0], (String[]) Wire.readValue(c.in, 0), "nothing was registered");

            Files.delete(jar);
            Jars.write(jar, Jars.manifest("fix-pipe", Jars.FIX), Jars.classes(Jars.FIX));
            assertEquals(Wire.OK, c.call("", "load", load, jar.toString(), false));
            assertEquals("fix-pipe", Wire.readValue(c.in, 0));
        } finally {
            PatchJarBytes.beforeOpenForTests(null);
            PatchJarBytes.openWaitForTests(null);
        }
    }

    @Test
    void refusalsAndUnknownOperationsAreAnsweredAndTheConnectionGoesOn() throws Exception {
        Client c = client(1);
        assertEquals(Wire.REFUSED, c.call("no-such-patch", "isEnabled", new Class<?>[0]));
        assertTrue(Wire.readString(c.in).startsWith("ILLEGAL_STATE: no patch 'no-such-patch' is registered"));
        assertEquals(Wire.REFUSED, c.call("", "setPatches", new Class<?>[] {String.class}, "a"));
        assertTrue(Wire.readString(c.in).startsWith("UNSUPPORTED: LivepatchMBean has no operation setPatches of 1"
                + " arguments"));
        byte[] notAJar = {1, 2, 3};
        Class<?>[] load = {byte[].class, String.class, String.class, boolean.class, boolean.class};
        assertEquals(Wire.REFUSED, c.call("", "loadContent", load, notAJar, Sha256.hex(notAJar), "x.jar", true,
                false));
        String refused = Wire.readString(c.in);
        assertTrue(refused.startsWith("INVALID_PATCH: patch JAR x.jar: "), refused);
        assertEquals(Wire.OK, c.call("", "getPatches", new Class<?>[0]));
        assertArrayEquals(new String[0], (String[]) Wire.readValue(c.in, 0), "nothing was registered");

        // A refused change is on record whoever refused it; a refused read is not an operation.
        assertEquals(Wire.REFUSED, c.call("no-such-patch", "setEnabled", new Class<?>[] {boolean.class}, false));
        assertTrue(Wire.readString(c.in).startsWith("ILLEGAL_STATE: no patch 'no-such-patch' is registered"));
        String[] log = Jars.auditLog();
        String last = log[log.length - 1];
        assertTrue(last.contains(" disable no-such-patch by pid 1 user " + System.getProperty("user.name")
                + ": refused ILLEGAL_STATE: no patch 'no-such-patch' is registered (registered: none)"),
                java.util.Arrays.asList(log).subList(Math.max(0, log.length - 4), log.length).toString());
        assertTrue(java.util.Arrays.stream(log).noneMatch(l -> l.contains(" isEnabled ")), "reads are not recorded");
        String unsupported = log[log.length - 3]; // then the load's refusal, then the disable's
        assertTrue(unsupported.contains(" call (jlivepatch) by pid 1 user ")
                && unsupported.contains(": refused UNSUPPORTED: LivepatchMBean has no operation setPatches"), unsupported);
    }

    /**
     * A refusal that echoes what the client sent (a patch's name with a line feed, an escape
     * sequence, a bidi override): the answer carries it as it came, for the command to escape once
     * where it prints it (TargetJvm.refusal, ControlChannel), and the audit line and the log line
     * made of it here are escaped, so that it forges neither.
     */
    @Test
    void aRefusalThatEchoesTheClientsBytesIsEscapedInTheAuditLogAndTheLog() throws Exception {
        String hostile = "x\n2030-01-01T00:00:00Z enable forged: ok\u001b[2J\u202e";
        String escaped = "x\\n2030-01-01T00:00:00Z enable forged: ok\\e[2J\\u202e";
        List<java.util.logging.LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        logged(records, () -> {
            Client c = client(14);
            assertEquals(Wire.REFUSED, c.call(hostile, "setEnabled", new Class<?>[] {boolean.class}, true));
            String answer = Wire.readString(c.in);
            assertTrue(answer.startsWith("ILLEGAL_STATE: no patch '" + hostile + "' is registered"), answer);
            String[] log = Jars.auditLog();
            String last = log[log.length - 1];
            assertTrue(last.contains(" enable " + escaped + " by pid 14 user " + System.getProperty("user.name")
                    + ": refused ILLEGAL_STATE: no patch '" + escaped + "' is registered"), last);
            assertTrue(last.chars().noneMatch(ch -> Character.isISOControl(ch) || ch == '\u202e'), last);
            String said = awaitRecord(records, "enable refused (ILLEGAL_STATE)").getMessage();
            assertTrue(said.contains("no patch '" + escaped + "' is registered"), said);
            assertTrue(said.chars().noneMatch(ch -> Character.isISOControl(ch) || ch == '\u202e'), said);
        });
    }

    /**
     * Arguments of the wrong types (a null where a number goes, a string where a boolean does) are
     * refused saying what the operation takes and what was sent: the refusal said "bad call of
     * watch: null", the reflection's own message, which is null for a null where a primitive goes.
     */
    @Test
    void argumentsOfTheWrongTypesAreRefusedSayingWhatTheOperationTakes() throws Exception {
        Client c = client(14);
        DataOutputStream o = c.request();
        callHead(o, "", "watch", 3);
        Wire.writeValue(o, String.class, "/etc/patches");
        Wire.writeValue(o, long.class, null);
        Wire.writeValue(o, String.class, "30");
        o.flush();
        assertEquals(Wire.REFUSED, c.in.readByte());
        String refused = Wire.readString(c.in);
        assertTrue(refused.startsWith("UNSUPPORTED: LivepatchMBean.watch takes (String, long, long), not (String,"
                + " null, String): nothing was run; the command and the agent are of different jlivepatch versions"),
                refused);
        String[] log = Jars.auditLog();
        assertTrue(log[log.length - 1].contains(" watch (jlivepatch) by pid 14 user ") && log[log.length - 1]
                .contains(": refused UNSUPPORTED: LivepatchMBean.watch takes (String, long, long)"), log[log.length - 1]);
        assertEquals(Wire.OK, c.call("", "getVersion", new Class<?>[0]), "the connection goes on");
    }

    @Test
    void contentThatDiffersFromItsDigestIsRefusedOnRecordWithTheFileAndTheContentReceived() throws Exception {
        Client c = client(7);
        byte[] jar = Files.readAllBytes(Jars.write(dir.resolve("fix.jar"), Jars.manifest("fix-digest", Jars.FIX),
                Jars.classes(Jars.FIX)));
        byte[] sent = jar.clone();
        sent[sent.length / 2] ^= 1; // changed on its way
        Class<?>[] load = {byte[].class, String.class, String.class, boolean.class, boolean.class};
        assertEquals(Wire.REFUSED, c.call("", "loadContent", load, sent, Sha256.hex(jar), "/far/fix.jar", true, false));
        assertTrue(Wire.readString(c.in).startsWith("INVALID_PATCH: patch JAR /far/fix.jar: the content received has"
                + " SHA-256 " + Sha256.hex(sent)));
        String[] log = Jars.auditLog();
        String last = log[log.length - 1];
        // As every refused load's record: which file, and which content (README, "Audit and provenance").
        assertTrue(last.contains(" load /far/fix.jar by pid 7 user ") && last.endsWith(" [file /far/fix.jar sha256 "
                + Sha256.hex(sent) + "]"), last);
    }

    @Test
    void whatIsNotTheProtocolEndsThatConnectionOnlyAndTheServerServesTheNext() throws Exception {
        Client stranger = connect();
        // One write: DataOutputStream.writeBytes writes byte by byte, unbuffered here, and the server
        // closes as soon as the first four bytes are not the protocol's, so a later byte could meet
        // a closed socket ("Broken pipe"), depending on the scheduling of the two threads.
        stranger.out.write("GET / HTTP/1.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        stranger.out.flush();
        assertClosedWithoutAnswer(stranger);

        Client huge = client(2);
        huge.out.writeByte(Wire.CALL);
        huge.out.writeInt(Integer.MAX_VALUE); // a string length no buffer is made for
        huge.out.flush();
        assertRefusedAndClosed(huge, "a call's object name of 2147483647 bytes, over the limit of 256 bytes");

        Client next = client(3);
        assertEquals(Wire.OK, next.call("", "getVersion", new Class<?>[0]));
    }

    /**
     * A client that closes before its hello asked nothing (a probe, a command that gave up): no
     * warning, a DEBUG line; one that ends in the middle of a call is still a warning.
     */
    @Test
    void aCloseBeforeTheHelloIsNoWarningAndACloseInACallIs() throws Exception {
        List<java.util.logging.LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        logged(records, () -> {
            Client probe = connect();
            probe.socket.close();
            java.util.logging.LogRecord quiet = awaitRecord(records, "closed before a command's hello: java.io.EOFException");
            assertEquals(java.util.logging.Level.FINE, quiet.getLevel(), quiet.getMessage());

            Client cut = client(5);
            cut.out.writeByte(Wire.CALL);
            Wire.writeString(cut.out, "");
            cut.out.flush();
            cut.socket.close();
            // This connection's line, by its cause: an earlier test's refused connection may log its own
            // "connection ended" line after this one's handler is in (its server thread ends on its own time).
            java.util.logging.LogRecord warning = awaitRecord(records,
                    "a jlivepatch command's connection ended: java.io.EOFException");
            assertEquals(java.util.logging.Level.WARNING, warning.getLevel(), warning.getMessage());
        });
    }

    /** Runs {@code body} with the records jlivepatch logs meanwhile collected in {@code records}. */
    private static void logged(List<java.util.logging.LogRecord> records, Body body) throws Exception {
        java.util.logging.Logger log = java.util.logging.Logger.getLogger("io.jlivepatch");
        java.util.logging.Level level = log.getLevel();
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(handler);
        log.setLevel(java.util.logging.Level.ALL);
        try {
            body.run();
        } finally {
            log.removeHandler(handler);
            log.setLevel(level);
        }
    }

    private interface Body {
        void run() throws Exception;
    }

    /** The refusal of a call that is none of the interfaces', then the connection's end; the next one is served. */
    private void assertRefusedAndClosed(Client c, String expected) throws Exception {
        assertEquals(Wire.REFUSED, c.in.readByte());
        String refused = Wire.readString(c.in);
        assertTrue(refused.startsWith("UNSUPPORTED: " + expected) && refused.contains("nothing was run, and the"
                + " connection is closed"), refused);
        assertClosedWithoutAnswer(c);
        Client next = client(3);
        assertEquals(Wire.OK, next.call("", "getVersion", new Class<?>[0]));
        Wire.readValue(next.in, 0);
    }

    /** A call's beginning: its object and method, and how many arguments follow. */
    private static void callHead(DataOutputStream out, String object, String method, int arguments) throws IOException {
        out.writeByte(Wire.CALL);
        Wire.writeString(out, object);
        Wire.writeString(out, method);
        out.writeInt(arguments);
    }

    /**
     * Requests carry only what the operations' parameters are (strings, booleans, longs, a JAR's
     * bytes): a string array, a waiting-thread array or an int is refused before its length makes the
     * agent hold anything; the reply side still carries them.
     */
    @Test
    void aValueTagNoOperationTakesIsRefusedAndTheConnectionClosed() throws Exception {
        Client strings = client(6);
        DataOutputStream stringsOut = strings.request();
        callHead(stringsOut, "", "getVersion", 1);
        stringsOut.writeByte('A');
        stringsOut.writeInt(1 << 20); // a million elements announced, none sent
        stringsOut.flush();
        assertRefusedAndClosed(strings, "an argument with value tag 65 ('A'), which no operation's parameter has");

        Client waiting = client(6);
        DataOutputStream waitingOut = waiting.request();
        callHead(waitingOut, "", "setEnabled", 1);
        waitingOut.writeByte('W');
        waitingOut.writeInt(1 << 20);
        waitingOut.flush();
        assertRefusedAndClosed(waiting, "an argument with value tag 87 ('W')");
        String[] log = Jars.auditLog();
        String last = log[log.length - 1];
        assertTrue(last.contains(" call (jlivepatch) by pid 6 user ") && last.contains(": refused UNSUPPORTED: an"
                + " argument with value tag 87 ('W')"), "a refused change is on record: " + last);

        Client ints = client(6);
        DataOutputStream intsOut = ints.request();
        callHead(intsOut, "", "getVersion", 1);
        Wire.writeValue(intsOut, int.class, 7);
        intsOut.flush();
        assertRefusedAndClosed(ints, "an argument with value tag 73 ('I')");
    }

    /**
     * A message after the hello that is no call (its kind byte is not CALL: a newer command's, or a
     * peer that is not the command) is refused saying so, and the connection closed: it was closed
     * without a word, the peer never told what was wrong (HostileWireTest).
     */
    @Test
    void aMessageThatIsNoCallIsRefusedSayingSo() throws Exception {
        Client c = client(15);
        assertEquals(Wire.OK, c.call("", "getVersion", new Class<?>[0]), "a call first: the next message is read as one");
        Wire.readValue(c.in, 0);
        DataOutputStream o = c.request();
        o.writeByte(7);
        callHead(o, "", "getVersion", 0); // what follows cannot be read: not run
        o.flush();
        assertRefusedAndClosed(c, "a message of kind 7 after the hello, where a call (kind 1) goes");
    }

    /**
     * One budget per call: its names at most a few hundred bytes, at most one byte array, all other
     * values 64 KiB together, at most 16 arguments; each refused before what is over it is read.
     */
    @Test
    void aCallOverItsBudgetIsRefusedAndTheConnectionClosed() throws Exception {
        Client longName = client(7);
        DataOutputStream longNameOut = longName.request();
        callHead(longNameOut, "x".repeat(300), "getName", 0);
        longNameOut.flush();
        assertRefusedAndClosed(longName, "a call's object name of 300 bytes, over the limit of 256 bytes");

        Client manyStrings = client(7);
        DataOutputStream manyStringsOut = manyStrings.request();
        callHead(manyStringsOut, "", "watch", 3);
        for (int i = 0; i < 3; i++) {
            Wire.writeValue(manyStringsOut, String.class, "d".repeat(30_000)); // 90 KB in all
        }
        manyStringsOut.flush();
        assertRefusedAndClosed(manyStrings, "a call whose names and values other than a patch JAR's bytes take more"
                + " than 65536 bytes");

        Client twoJars = client(7);
        DataOutputStream twoJarsOut = twoJars.request();
        callHead(twoJarsOut, "", "loadContent", 2);
        Wire.writeValue(twoJarsOut, byte[].class, new byte[100]);
        Wire.writeValue(twoJarsOut, byte[].class, new byte[100]);
        twoJarsOut.flush();
        assertRefusedAndClosed(twoJars, "a call with a second byte array");

        Client manyArguments = client(7);
        DataOutputStream manyArgumentsOut = manyArguments.request();
        callHead(manyArgumentsOut, "", "getVersion", 17);
        manyArgumentsOut.flush();
        assertRefusedAndClosed(manyArguments, "a call with 17 arguments");
    }

    /**
     * Bytes over the patch JAR limit to an operation other than loadContent are no load: refused as
     * unsupported, and not put on record as a refused load (a read is not put on record at all; a
     * review found every such call recorded as a refused load).
     */
    @Test
    void anOversizedByteArrayToAnotherOperationIsNoRefusedLoad() throws Exception {
        io.jlivepatch.internal.jar.JarLimits before = io.jlivepatch.internal.jar.JarLimits.current();
        io.jlivepatch.internal.jar.JarLimits.setCurrent(before.with(io.jlivepatch.internal.jar.JarLimits.MAX_JAR_BYTES,
                "1000"));
        try {
            int records = Jars.auditLog().length;
            Client c = client(9);
            DataOutputStream o = c.request();
            callHead(o, "", "getPatches", 1);
            Wire.writeValue(o, byte[].class, new byte[2000]);
            o.flush();
            assertEquals(Wire.REFUSED, c.in.readByte());
            assertEquals("UNSUPPORTED: an argument of 2000 bytes to getPatches, which takes no patch JAR",
                    Wire.readString(c.in));
            assertEquals(records, Jars.auditLog().length, "a read is not put on record");
            assertEquals(Wire.OK, c.call("", "getVersion", new Class<?>[0]), "the connection goes on");
            Wire.readValue(c.in, 0);

            DataOutputStream load = c.request();
            callHead(load, "", "loadContent", 5);
            Wire.writeValue(load, byte[].class, new byte[2000]);
            Wire.writeValue(load, String.class, "");
            Wire.writeValue(load, String.class, "big.jar");
            Wire.writeValue(load, boolean.class, true);
            Wire.writeValue(load, boolean.class, false);
            load.flush();
            assertEquals(Wire.REFUSED, c.in.readByte());
            String refused = Wire.readString(c.in);
            assertTrue(refused.contains("the file has 2000 bytes"), refused);
            String[] log = Jars.auditLog();
            assertTrue(log[log.length - 1].contains("big.jar") && log[log.length - 1].contains("refused INVALID_PATCH"),
                    "a load over the limit is on record as a refused load: " + log[log.length - 1]);
        } finally {
            io.jlivepatch.internal.jar.JarLimits.setCurrent(before);
        }
    }

    /**
     * A connection that sends part of a call and then nothing is closed once it has been quiet for
     * the stall limit, with every other place free: what it sent is not held for as long as it likes.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aCallThatStopsHalfWayIsClosedWithoutContention() throws Exception {
        List<java.util.logging.LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        ControlServer.stallAfterForTests(Duration.ofMillis(200));
        try {
            logged(records, () -> {
                Client half = client(8);
                callHead(half.out, "", "loadContent", 5);
                half.out.writeByte('B');
                half.out.writeInt(1 << 20); // a JAR of 1 MB announced
                half.out.write(new byte[1000]); // and a thousand bytes of it sent
                half.out.flush();
                assertClosedWithoutAnswer(half); // waits for the close, however long it takes
                java.util.logging.LogRecord closed = awaitRecord(records, "sent part of a call and then nothing for");
                assertEquals(java.util.logging.Level.WARNING, closed.getLevel());
                assertTrue(closed.getMessage().contains("the call was not run"), closed.getMessage());
                assertTrue(records.stream().noneMatch(r -> String.valueOf(r.getMessage()).contains("to make room")),
                        "closed as stalled, not evicted");
            });
        } finally {
            ControlServer.stallAfterForTests(Duration.ofSeconds(ControlServer.STALL_SECONDS));
        }
        Client next = client(3);
        assertEquals(Wire.OK, next.call("", "getVersion", new Class<?>[0]));
    }

    /**
     * The calls of all connections together hold at most one patch JAR's size limit: eight clients
     * that each sent most of a JAR and then a byte now and then (never quiet long enough to be
     * closed as stalled) held eight times that in the application's heap. A second JAR while the
     * first arrives waits as long as for jlivepatch's lock, then is refused BUSY, on record, its
     * connection going on; once the first has waited for its client for the idle limit, it is closed
     * to make room, as an idle place is.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void patchJarsArrivingAtOnceHoldOneJarsLimitAndAStalledOneMakesRoom() throws Exception {
        byte[] jar = Files.readAllBytes(Jars.write(dir.resolve("fix.jar"), Jars.manifest("fix-room", Jars.FIX),
                Jars.classes(Jars.FIX)));
        io.jlivepatch.internal.jar.JarLimits before = io.jlivepatch.internal.jar.JarLimits.current();
        io.jlivepatch.internal.jar.JarLimits.setCurrent(before.with(io.jlivepatch.internal.jar.JarLimits.MAX_JAR_BYTES,
                Integer.toString(jar.length)));
        List<java.util.logging.LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        try {
            logged(records, () -> {
                Client slow = client(11);
                callHead(slow.out, "", "loadContent", 5);
                slow.out.writeByte('B');
                slow.out.writeInt(jar.length);
                slow.out.write(jar, 0, jar.length / 2); // and the rest a byte now and then, or never
                slow.out.flush();
                while (ControlServer.jarBytesHeldForTests() != jar.length) {
                    Thread.sleep(10); // its session has read the announced length and taken the room
                }
                Class<?>[] load = {byte[].class, String.class, String.class, boolean.class, boolean.class};
                Client next = client(12);
                io.jlivepatch.internal.core.PatchRegistry.lockWaitForTests(Duration.ofMillis(300));
                try {
                    assertEquals(Wire.REFUSED, next.call("", "loadContent", load, jar, Sha256.hex(jar), "/b/fix.jar",
                            false, false));
                } finally {
                    io.jlivepatch.internal.core.PatchRegistry.lockWaitForTests(Duration.ofSeconds(10));
                }
                String busy = Wire.readString(next.in);
                assertTrue(busy.startsWith("BUSY: cannot load patch JAR /b/fix.jar (" + jar.length + " bytes): another"
                        + " jlivepatch command's patch JAR was being received or loaded for all of the 300 ms this one"
                        + " waited") && busy.contains("nothing was loaded: retry once that load has ended"), busy);
                String[] log = Jars.auditLog();
                assertTrue(log[log.length - 1].contains(" load /b/fix.jar by pid 12 user ")
                        && log[log.length - 1].contains(": refused BUSY: "), log[log.length - 1]);
                assertEquals(Wire.OK, next.call("", "getVersion", new Class<?>[0]), "the connection goes on");
                Wire.readValue(next.in, 0);

                ControlServer.idleAfterForTests(Duration.ofMillis(200));
                Thread.sleep(300); // the slow call has now waited for its client for longer than that
                assertEquals(Wire.OK, next.call("", "loadContent", load, jar, Sha256.hex(jar), "/b/fix.jar", false,
                        false));
                assertEquals("fix-room", Wire.readValue(next.in, 0));
                assertClosedWithoutAnswer(slow);
                awaitRecord(records, "closed a jlivepatch command's connection that had sent part of a patch JAR ("
                        + jar.length + " bytes announced)"); // published from a thread of its own
                while (ControlServer.jarBytesHeldForTests() != 0) {
                    Thread.sleep(10); // given back as each call ended
                }
            });
        } finally {
            ControlServer.idleAfterForTests(Duration.ofSeconds(ControlServer.IDLE_SECONDS));
            io.jlivepatch.internal.jar.JarLimits.setCurrent(before);
        }
    }

    /**
     * A client that sends an oversized JAR steadily over a slow link is answered with the size
     * refusal, not closed as stalled: the bytes dropped as they arrive count as arriving (the stream
     * below skipped them all before it returned, and the stall watch saw nothing come meanwhile). Each
     * piece is sent once the one before is seen arriving where the stall watch looks (the session's
     * last arrival), with the stall limit left as it is: no clock decides it. Before, a piece went every
     * 50 ms for 3 s against a limit of 1 s, and a sender descheduled for a second (a busy machine) was
     * rightly closed as stalled.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void anOversizedJarSentSteadilyIsRefusedNotClosedAsStalled() throws Exception {
        io.jlivepatch.internal.jar.JarLimits before = io.jlivepatch.internal.jar.JarLimits.current();
        io.jlivepatch.internal.jar.JarLimits.setCurrent(before.with(io.jlivepatch.internal.jar.JarLimits.MAX_JAR_BYTES,
                "1000"));
        try {
            Client c = client(13);
            callHead(c.out, "", "loadContent", 5);
            c.out.writeByte('B');
            c.out.writeInt(6000);
            c.out.flush();
            for (int i = 0; i < 60; i++) { // 100 bytes at a time, each once the last has been dropped
                long sent = System.nanoTime();
                c.out.write(new byte[100]);
                c.out.flush();
                // The bound only ends a failing run: without the fix no dropped byte ever counts.
                for (int wait = 0; wait < 10_000 && !ControlServer.bytesArrivedSinceForTests(sent); wait++) {
                    Thread.sleep(1);
                }
                assertTrue(ControlServer.bytesArrivedSinceForTests(sent), "the dropped bytes of piece " + i
                        + " count as arriving for the stall watch");
            }
            Wire.writeValue(c.out, String.class, "");
            Wire.writeValue(c.out, String.class, "slow.jar");
            Wire.writeValue(c.out, boolean.class, true);
            Wire.writeValue(c.out, boolean.class, false);
            c.out.flush();
            assertEquals(Wire.REFUSED, c.in.readByte());
            String refused = Wire.readString(c.in);
            assertTrue(refused.contains("the file has 6000 bytes"), refused);
        } finally {
            io.jlivepatch.internal.jar.JarLimits.setCurrent(before);
        }
    }

    /**
     * An Error while the socket opens, once its selector is open (no memory for the registration's key,
     * say; injected), leaves nothing behind: before, only an IOException or a RuntimeException closed the
     * channel and the selector and deleted the file, and the reopen that an attach makes (which survives
     * the Error) left a bound channel, the selector's two descriptors and a socket file for the JVM's life.
     * The next attach opens it.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void anErrorWhileTheSocketOpensLeavesNoDescriptorNorFile() throws Exception {
        client(19); // open and published
        Path before = Path.of(System.getProperty(LocalChannel.PROPERTY));
        ControlServer.closeSocketForTests();
        while (Files.exists(before, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Thread.sleep(10); // deleted by the accept loop's thread as it sees the close
        }
        long selectors = selectorDescriptors();
        java.util.Set<Path> files;
        try (java.util.stream.Stream<Path> listed = Files.list(before.getParent())) {
            files = listed.collect(java.util.stream.Collectors.toSet());
        }
        ControlServer.failNextOpenForTests(new OutOfMemoryError("injected"));
        assertEquals(null, ControlServer.reopenIfLost(), "no socket opened");
        // Another session's selector may close meanwhile, none opens: a leak is at least two more.
        assertTrue(selectorDescriptors() <= selectors, "the failed open's selector left open");
        try (java.util.stream.Stream<Path> listed = Files.list(before.getParent())) {
            List<Path> left = listed.filter(f -> !files.contains(f)).toList();
            assertTrue(left.isEmpty(), "left by the failed open: " + left);
        }
        String reopened = ControlServer.reopenIfLost();
        assertTrue(reopened != null && reopened.contains("listening on"), reopened);
        Client c = client(19);
        assertEquals(Wire.OK, c.call("", "getVersion", new Class<?>[0]));
    }

    /** The selectors' descriptors open in this JVM (each an eventpoll and an eventfd on Linux). */
    private static long selectorDescriptors() throws java.io.IOException {
        long n = 0;
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String to = Files.readSymbolicLink(fd).toString();
                    if (to.equals("anon_inode:[eventpoll]") || to.equals("anon_inode:[eventfd]")) {
                        n++;
                    }
                } catch (java.io.IOException gone) {
                    // closed meanwhile (the listing's own descriptor, another thread's)
                }
            }
        }
        return n;
    }

    /**
     * An interrupt of the accepting thread in its pause after a failure (application code that interrupts
     * every thread) neither ends the pause nor stays set. Before, the pause ended at once and set the
     * interrupt again: an accept failing at once (no descriptors) was asked again at each interrupt. The
     * pause is 5 s here; the verdict comes from where the thread is, not from a clock: before, it never
     * paused again after the interrupt; now it is back in the pause, the interrupt clear.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void anInterruptOfTheAcceptingThreadInItsPauseAfterAFailureDoesNotEndIt() throws Exception {
        client(20); // open and published
        ControlServer.failurePauseForTests(Duration.ofSeconds(5));
        try {
            // Not the OutOfMemoryError another test injects: each kind is logged once per JVM, and that one
            // expects its own line.
            ControlServer.failNextAcceptForTests(new InternalError("injected"));
            Client failed = connect();
            assertEquals(Wire.MAGIC, failed.in.readInt()); // turned away: the pause comes next
            Thread accepting = null;
            for (int i = 0; i < 1000 && accepting == null; i++) {
                accepting = Thread.getAllStackTraces().keySet().stream().filter(ControlSocketTest::inPause)
                        .findFirst().orElse(null);
                Thread.sleep(10);
            }
            assertTrue(accepting != null, "the accepting thread never paused");
            accepting.interrupt();
            boolean pausesOn = false;
            for (int i = 0; i < 10_000 && !pausesOn; i++) { // a hang detector: it is back at once
                pausesOn = inPause(accepting) && !accepting.isInterrupted();
                Thread.sleep(1);
            }
            assertTrue(pausesOn, "after the interrupt: " + accepting.getState() + ", interrupted="
                    + accepting.isInterrupted() + " " + java.util.Arrays.toString(accepting.getStackTrace()));
        } finally {
            ControlServer.failurePauseForTests(Duration.ofMillis(100));
        }
        Client next = client(20); // served once the pause has ended
        assertEquals(Wire.OK, next.call("", "getVersion", new Class<?>[0]));
    }

    /** Whether {@code t} is the accepting thread, waiting in its pause after a failure. */
    private static boolean inPause(Thread t) {
        if (!t.getName().equals("jlivepatch-control") || t.getState() == Thread.State.RUNNABLE) {
            return false;
        }
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().equals(ControlServer.class.getName()) && e.getMethodName().equals("pause")) {
                return true;
            }
        }
        return false;
    }

    /**
     * A failure of the accept loop's unmarked wait as a connection arrives (what a throwing patch of a
     * JDK method the selector runs does there: HashMap.get in EPollSelectorImpl.processEvents, OwnPathsTest)
     * costs that connection no pause: the marked wait after it takes it at once. Before, the loop paused a
     * second after it, so each command waited a second for its hello while such a patch was enabled
     * (with the blocking accept before the selector the failure came before the connection, not at it).
     * Counted, not timed: the loop's pauses.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aFailureOfTheUnmarkedWaitAsAConnectionArrivesCostsItNoPause() throws Exception {
        Client first = client(16); // served: the loop's next wait runs unmarked
        assertEquals(Wire.OK, first.call("", "getVersion", new Class<?>[0]));
        long pausesBefore = ControlServer.pausesForTests();
        ControlServer.failNextUnmarkedWaitForTests(new IllegalStateException("injected"));
        Client next = client(17);
        assertEquals(Wire.OK, next.call("", "getVersion", new Class<?>[0]));
        assertEquals(pausesBefore, ControlServer.pausesForTests(), "a pause after the unmarked wait's failure");
        Client after = client(18); // and the loop goes on unmarked, serving
        assertEquals(Wire.OK, after.call("", "getVersion", new Class<?>[0]));
    }

    /**
     * An accept loop whose wait returns at once with nothing to accept, again and again (a patch of a
     * JDK method its selector runs that returns without waiting; the wait stays unmarked after an empty
     * wake-up, so the patch runs at each), pauses after each one past
     * {@link ControlServer#EMPTY_WAKEUPS_BEFORE_PAUSES} in a row, says so once, and serves the next
     * command, after which the count starts over. Counted, not timed: the pauses against the wake-ups.
     * Before, it asked again at once, for as long as it lasted (no pause at all).
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void anAcceptLoopWhoseWaitReturnsAtOnceAgainAndAgainPausesInsteadOfSpinning() throws Exception {
        Client first = client(21); // served: the count of empty wake-ups starts over
        assertEquals(Wire.OK, first.call("", "getVersion", new Class<?>[0]));
        List<java.util.logging.LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        ControlServer.emptyPausesForTests(Duration.ofMillis(1), Duration.ofMillis(1));
        ControlServer.sayEmptyWakeupsAgainForTests(); // said once per server: another test's may have been
        try {
            logged(records, () -> {
                int atOnce = ControlServer.EMPTY_WAKEUPS_BEFORE_PAUSES + 20;
                long pausesBefore = ControlServer.emptyPausesForTests();
                ControlServer.waitsAtOnceForTests(atOnce);
                acceptingThread().interrupt(); // ends its wait now: one more wake-up with nothing to accept
                for (int i = 0; i < 3000 && ControlServer.waitsAtOnceLeftForTests() > 0; i++) {
                    Thread.sleep(10); // a hang guard: the waits that return at once are over in a moment
                }
                assertEquals(0, ControlServer.waitsAtOnceLeftForTests(), "the waits returned at once");
                // atOnce wake-ups in a row with nothing to accept at least (the interrupt's is one more, unless
                // it came before the loop was back in its wait); the last one's pause may be to come
                long paused = ControlServer.emptyPausesForTests() - pausesBefore;
                assertTrue(paused >= atOnce - ControlServer.EMPTY_WAKEUPS_BEFORE_PAUSES - 1, "paused " + paused
                        + " times after " + atOnce + " wake-ups in a row with nothing to accept");
                Client next = client(21);
                assertEquals(Wire.OK, next.call("", "getVersion", new Class<?>[0]));
                long said = 0;
                for (int i = 0; i < 1000 && said == 0; i++) {
                    Thread.sleep(10); // published from a thread of its own (LogPublisher)
                    said = records.stream().filter(r -> String.valueOf(r.getMessage()).contains("with no command"
                            + " to accept")).count();
                }
                assertEquals(1, said, "said once");
            });
        } finally {
            ControlServer.waitsAtOnceForTests(0);
            ControlServer.emptyPausesForTests(Duration.ofMillis(1), Duration.ofMillis(100));
        }
    }

    /**
     * A close of the socket (here a reopen's, once its file is gone) ends the accept loop's pause after
     * empty wake-ups at once: the pause is an hour here; the old loop's thread ends, and the new socket
     * answers.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aCloseEndsTheAcceptLoopsPauseAfterEmptyWakeups() throws Exception {
        Client first = client(22);
        assertEquals(Wire.OK, first.call("", "getVersion", new Class<?>[0]));
        ControlServer.emptyPausesForTests(Duration.ofHours(1), Duration.ofHours(1));
        try {
            long pausesBefore = ControlServer.emptyPausesForTests();
            Thread accepting = acceptingThread();
            ControlServer.waitsAtOnceForTests(ControlServer.EMPTY_WAKEUPS_BEFORE_PAUSES + 5);
            accepting.interrupt();
            for (int i = 0; i < 3000 && ControlServer.emptyPausesForTests() == pausesBefore; i++) {
                Thread.sleep(10);
            }
            assertTrue(ControlServer.emptyPausesForTests() > pausesBefore, "the accept loop paused");
            ControlServer.waitsAtOnceForTests(0);
            Files.delete(Path.of(System.getProperty(LocalChannel.PROPERTY))); // a clean-up of the directory
            String reopened = ControlServer.reopenIfLost();
            assertTrue(reopened != null && reopened.contains("listening on"), reopened);
            accepting.join(10_000);
            assertTrue(!accepting.isAlive(), "the old socket's loop still runs: "
                    + java.util.Arrays.toString(accepting.getStackTrace()));
        } finally {
            ControlServer.waitsAtOnceForTests(0);
            ControlServer.emptyPausesForTests(Duration.ofMillis(1), Duration.ofMillis(100));
        }
        Client c = client(22);
        assertEquals(Wire.OK, c.call("", "getVersion", new Class<?>[0]));
    }

    /** The one thread that accepts. */
    private static Thread acceptingThread() {
        List<Thread> found = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("jlivepatch-control")) {
                found.add(t);
            }
        }
        assertEquals(1, found.size(), "one thread accepts: " + found);
        return found.get(0);
    }

    /**
     * A failure of the accept loop on one connection (out of memory, here injected) turns that
     * client away with why, is logged once for its kind, and the loop goes on serving.
     */
    @Test
    void aFailureInTheAcceptLoopTurnsThatConnectionAwayAndTheNextAreServed() throws Exception {
        List<java.util.logging.LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        logged(records, () -> {
            for (int i = 0; i < 2; i++) {
                ControlServer.failNextAcceptForTests(new OutOfMemoryError("injected"));
                Client failed = connect();
                assertEquals(Wire.MAGIC, failed.in.readInt());
                assertEquals("", Wire.readString(failed.in));
                assertEquals(Wire.FAILED, failed.in.readByte());
                String busy = Wire.readString(failed.in);
                assertTrue(busy.startsWith("BUSY: this JVM could not serve the command (java.lang.OutOfMemoryError:"
                        + " injected)"), busy);
            }
            Client next = client(9); // served: the loop took both failures, in order, before it
            assertEquals(Wire.OK, next.call("", "getVersion", new Class<?>[0]));
            long said = records.stream().filter(r -> String.valueOf(r.getMessage()).contains("could not serve a"
                    + " connection (java.lang.OutOfMemoryError: injected)")).count();
            assertEquals(1, said, "once per kind, not per connection");
        });
    }

    /**
     * A socket closed under its accept loop (not at the JVM's exit, not by a reopen) has its file
     * deleted: the command then finds it gone and attaches the agent, which opens a new one.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aSocketClosedUnderItsLoopLosesItsFileAndTheNextAttachOpensANewOne() throws Exception {
        client(10); // open and published
        Path before = Path.of(System.getProperty(LocalChannel.PROPERTY));
        assertTrue(Files.exists(before));
        ControlServer.closeSocketForTests();
        while (Files.exists(before, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            Thread.sleep(10); // deleted by the accept loop's thread as it sees the close
        }
        String reopened = ControlServer.reopenIfLost(); // what the agent's next attach does
        assertTrue(reopened != null && reopened.contains(before + " had closed after a failure"), reopened);
        assertTrue(!before.toString().equals(System.getProperty(LocalChannel.PROPERTY)), "a new socket");
        Client c = client(10);
        assertEquals(Wire.OK, c.call("", "getVersion", new Class<?>[0]));
    }

    /**
     * An interrupt of the thread that accepts (application code that interrupts every thread) only
     * wakes its wait: the socket stays open at its path and answers the next command, without an
     * attach (none may be possible any more: -XX:-EnableDynamicAgentLoading), at every interrupt.
     * At first it closed the socket, as the JDK closes a channel whose blocking accept is interrupted,
     * lost until a command attached the agent; then a new one was opened at a new path after each
     * (ControlSocketInterruptTest has the interrupts among connections).
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void anInterruptOfTheAcceptingThreadLeavesItsSocketAnswering() throws Exception {
        for (int round = 0; round < 2; round++) {
            Client c = client(12); // open and published, its thread back in its wait once this one is served
            assertEquals(Wire.OK, c.call("", "getVersion", new Class<?>[0]));
            String before = System.getProperty(LocalChannel.PROPERTY);
            int interrupted = 0;
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().equals("jlivepatch-control")) {
                    t.interrupt();
                    interrupted++;
                }
            }
            assertEquals(1, interrupted, "one thread accepts");
            Client after = client(12); // no reopenIfLost, no attach
            assertEquals(Wire.OK, after.call("", "getVersion", new Class<?>[0]));
            assertEquals(before, System.getProperty(LocalChannel.PROPERTY), "the same socket");
            assertTrue(Files.exists(Path.of(before), java.nio.file.LinkOption.NOFOLLOW_LINKS), "its file in place");
        }
    }

    /** The replacements of the patches of the interrupted command's test below. */
    public static String greetHeld(testapp.Greeter g, String name) {
        return "Held, " + name;
    }

    public static int thrice(int x) {
        return 3 * x;
    }

    /**
     * An interrupt of a command's thread while its call runs (application code that interrupts every
     * thread) still lets the call's answer out, and the connection goes on: the reply's write on a
     * blocking channel closed the connection, the command hearing nothing of an operation that ran or
     * was refused. Here the call waits for jlivepatch's lock, which a callback that the test releases
     * at its end holds: the interrupt ends that wait with BUSY.
     */
    @Test
    @org.junit.jupiter.api.Timeout(90)
    void anInterruptOfACommandsThreadWhileItsCallRunsStillLetsTheAnswerOut() throws Exception {
        java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        io.jlivepatch.Callbacks stuck = new io.jlivepatch.Callbacks() {
            @Override
            public void prePatch(Class<?> target) throws InterruptedException {
                inside.countDown();
                release.await(); // nobody interrupts the enabling thread
            }
        };
        new testapp.Greeter(); // loaded: its callback runs at the enable
        io.jlivepatch.PatchHandle holder = Jars.lp().register(io.jlivepatch.Patch.builder("interrupt-holder")
                .replace(testapp.Greeter.class.getMethod("greet", String.class),
                        ControlSocketTest.class.getMethod("greetHeld", testapp.Greeter.class, String.class))
                .callbacks("testapp.Greeter", stuck).build());
        Jars.lp().register(io.jlivepatch.Patch.builder("interrupt-waiter")
                .replace(testapp.Greeter.class.getMethod("twice", int.class),
                        ControlSocketTest.class.getMethod("thrice", int.class)).build());
        Thread enabling = new Thread(() -> {
            try {
                holder.enable();
            } catch (PatchException e) {
                throw new AssertionError(e);
            }
        }, "enabling-interrupt-holder");
        io.jlivepatch.internal.core.PatchRegistry.lockWaitForTests(Duration.ofSeconds(60)); // the interrupt ends it
        try {
            enabling.start();
            assertTrue(inside.await(10, java.util.concurrent.TimeUnit.SECONDS), "the callback runs");
            Client c = client(13);
            c.out.writeByte(Wire.CALL);
            Wire.writeString(c.out, "interrupt-waiter");
            Wire.writeString(c.out, "setEnabled");
            c.out.writeInt(1);
            Wire.writeValue(c.out, boolean.class, true);
            c.out.flush();
            Thread session = null;
            for (int i = 0; i < 1000 && session == null; i++) {
                session = threadWaitingForTheLock();
                if (session == null) {
                    Thread.sleep(10);
                }
            }
            assertTrue(session != null, "the command's call waits for jlivepatch's lock");
            session.interrupt();
            assertEquals(Wire.REFUSED, c.in.readByte(), "answered, not closed");
            String busy = Wire.readString(c.in);
            assertTrue(busy.startsWith("BUSY: cannot enable patch 'interrupt-waiter': 'enable' of patch"
                    + " 'interrupt-holder' has held jlivepatch's lock"), busy);
            assertTrue(busy.contains("the calling thread was interrupted while it waited"), busy);
            assertEquals(Wire.OK, c.call("", "getVersion", new Class<?>[0]), "and the connection goes on");
            assertEquals(2 * 5, testapp.Greeter.twice(5), "nothing was changed");
        } finally {
            io.jlivepatch.internal.core.PatchRegistry.lockWaitForTests(Duration.ofSeconds(10));
            release.countDown();
            enabling.join(10_000);
        }
        assertTrue(holder.awaitTransition(Duration.ofSeconds(10)));
    }

    /**
     * Application code that interrupts every thread, again and again, while a command talks to the
     * JVM: every call is answered, on the one connection. Before, the first interrupt of the session's
     * thread as it waited for the next call closed the connection (the JDK closes a blocking channel
     * whose thread is interrupted), and on JDK 19 and later an interrupt the thread had already
     * cleared could still close the channel of its next read (Thread.interrupt looks for the channel
     * after it sets the status): sessions read and write without blocking now, through a selector,
     * which an interrupt only wakes.
     */
    @Test
    @org.junit.jupiter.api.Timeout(120)
    void callsAreAnsweredOnOneConnectionWhileItsThreadIsInterruptedAgainAndAgain() throws Exception {
        Client c = client(14);
        assertEquals(Wire.OK, c.call("", "getVersion", new Class<?>[0]));
        Object version = Wire.readValue(c.in, 0);
        List<Thread> sessions = new ArrayList<>(); // this connection's, and any an earlier test left closing
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("jlivepatch-control-session")) {
                sessions.add(t);
            }
        }
        assertTrue(!sessions.isEmpty(), "the connection has its session's thread");
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
        Thread storm = new Thread(() -> {
            while (!done.get()) {
                for (Thread t : sessions) {
                    t.interrupt();
                }
                sent.incrementAndGet();
                java.util.concurrent.locks.LockSupport.parkNanos(50_000);
            }
        }, "interrupting-every-session");
        storm.start();
        try {
            for (int i = 0; i < 1000 && sent.get() < 2; i++) {
                Thread.sleep(10); // interrupted as it waits for the first call: that closed the connection
            }
            for (int i = 0; i < 300; i++) {
                assertEquals(Wire.OK, c.call("", "getVersion", new Class<?>[0]), "call " + i + " answered");
                assertEquals(version, Wire.readValue(c.in, 0));
                if (i % 50 == 0) { // a change too: a reply after work that ran with the interrupt set
                    assertEquals(Wire.REFUSED, c.call("no-such-patch", "setEnabled", new Class<?>[] {boolean.class},
                            true));
                    assertTrue(Wire.readString(c.in).startsWith("ILLEGAL_STATE: no patch 'no-such-patch'"));
                }
            }
        } finally {
            done.set(true);
            storm.join(10_000);
        }
        assertTrue(sent.get() >= 2, "the session's thread was interrupted");
    }

    /** The thread of a session whose call waits for jlivepatch's lock, or null. */
    private static Thread threadWaitingForTheLock() {
        for (java.util.Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            if (!e.getKey().getName().equals("jlivepatch-control-session")) {
                continue;
            }
            for (StackTraceElement f : e.getValue()) {
                if (f.getClassName().equals("java.util.concurrent.locks.ReentrantLock")
                        && f.getMethodName().equals("tryLock")) {
                    return e.getKey();
                }
            }
        }
        return null;
    }

    private static java.util.logging.LogRecord awaitRecord(List<java.util.logging.LogRecord> records, String part)
            throws InterruptedException {
        for (int i = 0; i < 1000; i++) {
            for (java.util.logging.LogRecord r : records) {
                if (String.valueOf(r.getMessage()).contains(part)) {
                    return r;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no log record with '" + part + "' in 10 s: " + records.stream()
                .map(java.util.logging.LogRecord::getMessage).toList());
    }

    @Test
    void connectionsOverTheLimitAreToldToRetryWhileTheOthersGoOn() throws Exception {
        List<Client> held = takeAllPlaces();
        Client extra = connect(); // answered at once, before it says anything
        assertEquals(Wire.MAGIC, extra.in.readInt());
        assertEquals("", Wire.readString(extra.in));
        assertEquals(Wire.FAILED, extra.in.readByte());
        assertTrue(Wire.readString(extra.in).startsWith("BUSY: 8 jlivepatch commands are talking to this JVM"));
        assertEquals(Wire.OK, held.get(0).call("", "getVersion", new Class<?>[0]));
        held.get(0).socket.close(); // frees a place
        open.remove(held.get(0).socket);
        Client again = null;
        for (int i = 0; i < 3000 && again == null; i++) {
            again = tryClient();
            if (again == null) {
                Thread.sleep(10); // the session's thread releases its place as it ends
            }
        }
        assertTrue(again != null, "a place was freed");
    }

    /**
     * Commands over the limit are told BUSY while application code interrupts every thread, the
     * accepting one among them: that thread writes the refusal, and a blocking write was closed by the
     * interrupt, the command hearing nothing (before, most of these got no answer).
     */
    @Test
    @org.junit.jupiter.api.Timeout(120)
    void connectionsOverTheLimitAreToldToRetryWhileTheAcceptingThreadIsInterruptedAgainAndAgain() throws Exception {
        List<Client> held = takeAllPlaces();
        List<Thread> accepting = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("jlivepatch-control")) {
                accepting.add(t);
            }
        }
        assertEquals(1, accepting.size(), "one thread accepts");
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread storm = new Thread(() -> {
            while (!done.get()) {
                accepting.get(0).interrupt();
                java.util.concurrent.locks.LockSupport.parkNanos(20_000);
            }
        }, "interrupting-the-accepting-thread");
        storm.start();
        try {
            for (int i = 0; i < 40; i++) {
                Client extra = connect();
                assertEquals(Wire.MAGIC, extra.in.readInt(), "connection " + i + " answered");
                assertEquals("", Wire.readString(extra.in));
                assertEquals(Wire.FAILED, extra.in.readByte());
                assertTrue(Wire.readString(extra.in).startsWith("BUSY: 8 jlivepatch commands are talking to this JVM"));
                extra.socket.close();
                open.remove(extra.socket);
            }
        } finally {
            done.set(true);
            storm.join(10_000);
        }
        assertEquals(Wire.OK, held.get(0).call("", "getVersion", new Class<?>[0]), "the others go on");
    }

    @Test
    void connectionsIdleLongestMakeRoomForANewCommandOnceIdleLongEnough() throws Exception {
        ControlServer.idleAfterForTests(Duration.ofMillis(300));
        try {
            List<Client> held = takeAllPlaces();
            Thread.sleep(400);
            // the last seven are busy meanwhile: each call ends their wait
            for (Client c : held.subList(1, 8)) {
                assertEquals(Wire.OK, c.call("", "getVersion", new Class<?>[0]));
                Wire.readValue(c.in, 1 << 20);
            }
            Client newcomer = tryClient();
            assertTrue(newcomer != null, "the connection idle longest made room");
            assertClosedWithoutAnswer(held.get(0));
            for (Client c : held.subList(1, 8)) {
                assertEquals(Wire.OK, c.call("", "getVersion", new Class<?>[0]), "not idle long enough: kept");
                Wire.readValue(c.in, 1 << 20);
            }
            assertEquals(Wire.OK, newcomer.call("", "getVersion", new Class<?>[0]));
        } finally {
            ControlServer.idleAfterForTests(Duration.ofSeconds(ControlServer.IDLE_SECONDS));
        }
    }

    /**
     * A connection closed to make room while its call still arrives is logged as what it did: how
     * long it had been sending, how many bytes of the call had come and how long a patch JAR it
     * announced. It said "neither sent nor read anything", which a slow sender that did send never
     * was.
     */
    @Test
    @org.junit.jupiter.api.Timeout(60)
    void aSlowSenderClosedToMakeRoomIsLoggedAsSendingItsCall() throws Exception {
        List<java.util.logging.LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        ControlServer.idleAfterForTests(Duration.ofMillis(200));
        try {
            logged(records, () -> {
                List<Client> held = takeAllPlaces();
                Client slow = held.get(0);
                callHead(slow.out, "", "loadContent", 5); // 24 bytes
                slow.out.writeByte('B');
                slow.out.writeInt(1 << 20); // a JAR of 1 MiB announced
                slow.out.write(new byte[1000]); // and a thousand bytes of it sent: 1029 bytes of the call
                slow.out.flush();
                while (ControlServer.jarBytesHeldForTests() != 1 << 20) {
                    Thread.sleep(10); // its session has read the announced length
                }
                Thread.sleep(300); // the slow call has now waited for its client for longer than the idle limit
                for (Client c : held.subList(1, 8)) { // the others are busy meanwhile: each call ends their wait
                    assertEquals(Wire.OK, c.call("", "getVersion", new Class<?>[0]));
                    Wire.readValue(c.in, 1 << 20);
                }
                Client newcomer = tryClient();
                assertTrue(newcomer != null, "the slow sender, which waited longest, made room");
                assertClosedWithoutAnswer(slow);
                String said = awaitRecord(records, "to make room for another").getMessage();
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("closed a jlivepatch command's connection"
                        + " to make room for another \\(at most 8 at once\\): it had been sending a call for (\\d+) ms,"
                        + " (\\d+) bytes of it so far \\(with a patch JAR of 1048576 bytes announced\\); the call was"
                        + " not run").matcher(said);
                assertTrue(m.matches(), said);
                assertTrue(Long.parseLong(m.group(1)) >= 200, said);
                // Everything up to the JAR's length had come (its room was taken); the rest, as it arrives.
                long bytes = Long.parseLong(m.group(2));
                assertTrue(bytes >= 29 && bytes <= 1029, said);
                assertTrue(!said.contains("neither sent nor read"), said);
            });
        } finally {
            ControlServer.idleAfterForTests(Duration.ofSeconds(ControlServer.IDLE_SECONDS));
        }
    }

    @Test
    void connectionsThatStopReadingTheirRepliesMakeRoomToo() throws Exception {
        // a reply larger than the socket's buffers: its write blocks while its client does not read
        Jars.lp().register(io.jlivepatch.Patch.builder("big-status").description("x".repeat(2_000_000))
                .replace("jarapp.Counter", "label", "(I)Ljava/lang/String;",
                        ControlSocketTest.class.getMethod("label", int.class)).build());
        ControlServer.idleAfterForTests(Duration.ofMillis(300));
        try {
            List<Client> held = takeAllPlaces();
            for (Client c : held) { // each asks for the status, then reads nothing
                c.out.writeByte(Wire.CALL);
                Wire.writeString(c.out, "");
                Wire.writeString(c.out, "statusText");
                c.out.writeInt(0);
                c.out.flush();
            }
            Client newcomer = null;
            for (int attempt = 0; attempt < 300 && newcomer == null; attempt++) {
                Thread.sleep(10);
                newcomer = tryClient(); // BUSY until one of them has been stuck in its reply long enough
            }
            assertTrue(newcomer != null, "a connection stuck in its reply made room");
            assertEquals(Wire.OK, newcomer.call("", "getVersion", new Class<?>[0]));
        } finally {
            ControlServer.idleAfterForTests(Duration.ofSeconds(ControlServer.IDLE_SECONDS));
        }
    }

    /** The replacement of the registered, never enabled patch above. */
    public static String label(int n) {
        return "big " + n;
    }

    /** Eight greeted connections: every place. Those of the tests before may take a moment to free theirs. */
    private List<Client> takeAllPlaces() throws Exception {
        List<Client> held = new ArrayList<>();
        for (int attempt = 0; attempt < 3000 && held.size() < 8; attempt++) {
            Client c = tryClient();
            if (c != null) {
                held.add(c);
            } else {
                Thread.sleep(10);
            }
        }
        assertEquals(8, held.size(), "eight places");
        return held;
    }

    private Client tryClient() throws Exception {
        return tryClient(5);
    }

    /** A greeted connection, or null when the server answered BUSY. */
    private Client tryClient(long pid) throws Exception {
        Client c = connect();
        try {
            c.out.writeInt(Wire.MAGIC);
            c.out.writeLong(pid);
            c.out.flush();
        } catch (IOException turnedAway) {
            return null; // the server answered BUSY and closed before the greeting was written
        }
        assertEquals(Wire.MAGIC, c.in.readInt());
        return Wire.readString(c.in).isEmpty() ? null : c;
    }
}
