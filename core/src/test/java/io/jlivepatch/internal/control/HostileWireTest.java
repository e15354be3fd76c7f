package io.jlivepatch.internal.control;

import io.jlivepatch.Livepatch;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.control.LocalChannel;
import io.jlivepatch.control.ObjectNames;
import io.jlivepatch.internal.Sha256;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.Requester;
import io.jlivepatch.internal.jar.JarLimits;
import io.jlivepatch.internal.watch.ReconcileStatus;
import io.jlivepatch.jar.Jars;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hostile bytes on the control socket and hostile arguments through JMX, generated from fixed seeds:
 * random bytes, well-formed calls with a length mutated (negative, huge, off by one) or bytes flipped,
 * calls cut short, unknown objects and methods, wrong argument counts and types, text that is not
 * UTF-8, a patch JAR announced and followed by fewer or more bytes, many connections opened and
 * dropped, connections left idle or stalled past their (shortened) limits. After every case the
 * control is whole: a new connection's {@code statusText} is answered, the patch list and its states
 * are as they were, no operation is left under way, no room for patch JARs is held, the sessions'
 * threads are back to their count and the JVM's open files to theirs. Every answer the server gave
 * is whole, and a refusal says what was wrong (never a bare exception class).
 *
 * <p>Each failure names its case and seed: {@code case MUTATED_LENGTH/17 (seed 0x...)}; a case is
 * replayed alone by its kind, index and seed ({@link #replay}). 360 socket cases (30 of each kind),
 * 6 idle or stalled connections and 126 JMX calls, in about 20 s.
 */
@Timeout(120) // a hang detector: the cases take about 20 s
class HostileWireTest {

    private static final long SEED = 0x4A4C5048_6F73_7431L;
    /** Socket cases per kind: a few hundred in all. */
    private static final int PER_KIND = 30;
    private static final String ANCHOR = "hostile-anchor";
    private static final String SESSION_THREAD = "jlivepatch-control-session";
    /**
     * Cases that escaped and are not fixed yet, by their id ({@code KIND/index}, {@code JMX/what}):
     * skipped, listed in the report. Empty: nothing escapes. (Escaped until fixed: an operation's
     * argument of the wrong type through JMX, JmxArgumentTypesTest; a message that is no call after
     * the hello, closed without a word, ControlSocketTest.aMessageThatIsNoCallIsRefusedSayingSo.)
     */
    private static final Set<String> KNOWN_ESCAPES = Set.of();

    private static final String[] LIVEPATCH_METHODS = {"getVersion", "getPatches", "isVerifyingPatches",
            "getTrustPolicy", "load", "loadContent", "statusJson", "statusText", "getLog", "getDesiredPatches",
            "getReconcileState", "getLastReconcile", "getWatchedDirectory", "watch"};
    /** The anchor's reads: a random call of the right shape changes nothing. */
    private static final String[] PATCH_READS = {"getName", "getDescription", "isEnabled", "isTransition",
            "getWaiting", "isReplace", "getStates", "getPendingClasses", "getSource", "getSha256", "getSigner",
            "getBuilds", "getLoadedAt", "getLoadedBy", "getStackOrder", "getFunctions", "getFailedFunctions"};

    /**
     * What the JVM had before the cases, which they must leave as it was: the suite runs its classes
     * in one JVM, and an earlier class may have left a session ending, or an operation under way for
     * good (a load whose callback never returns).
     */
    private static int sessionThreads;
    private static int operationsUnderWay;
    private static long jarBytesHeld;
    /** jlivepatch's other threads, by name, but the stall watch's (which ends on its own once no call arrives). */
    private static List<String> ownThreads;
    private static long openFiles;
    private static String watchedBefore;

    enum Kind {
        BYTES_BEFORE_HELLO, BYTES_AFTER_HELLO, MUTATED_LENGTH, FLIPPED_BYTES, TRUNCATED, UNKNOWN_CALL,
        WRONG_ARGUMENTS, NOT_UTF8, JAR_SHORT, JAR_LONG, MANY_SESSIONS, PIPELINED
    }

    @BeforeAll
    @Timeout(120) // a class's @Timeout does not cover its lifecycle methods
    static void anchor() throws Exception {
        Jars.lp().register(Patch.builder(ANCHOR).description("registered, never enabled: what no hostile call"
                        + " may change").replace("jarapp.Counter", "label", "(I)Ljava/lang/String;",
                HostileWireTest.class.getMethod("label", int.class)).build());
        Jars.statusText(); // the MBeans are up
        // The sessions of earlier classes' closed connections end on their own time: given 10 s.
        for (int i = 0; i < 1000 && sessionThreads() > 0; i++) {
            Thread.sleep(10);
        }
        sessionThreads = sessionThreads();
        operationsUnderWay = operationsUnderWay();
        jarBytesHeld = ControlServer.jarBytesHeldForTests();
        // Warm-up: one case of each kind, so that what the JVM opens once for good (a class path JAR
        // read for a class first used here) is open before the files are counted.
        for (Kind k : Kind.values()) {
            String id = "warm-up case " + k + "/0 (seed 0x" + Long.toHexString(SEED ^ 0x5A5A) + ")";
            try {
                runCase(k, 0, SEED ^ 0x5A5A);
            } catch (AssertionError | Exception e) {
                throw new AssertionError(id + ": " + e, e);
            }
            settle(id);
        }
        ownThreads = ownThreads();
        openFiles = openFiles();
        watchedBefore = ReconcileStatus.current().directory();
    }

    @AfterAll
    static void removeAnchor() throws Exception {
        Jars.removeAll();
    }

    /** The replacement of the anchor, which is never enabled. */
    public static String label(int n) {
        return "anchor " + n;
    }

    @Test
    void hostileBytesOnTheControlSocketLeaveItsControlWhole() throws Exception {
        int cases = 0;
        int skipped = 0;
        for (Kind kind : Kind.values()) {
            for (int i = 0; i < PER_KIND; i++) {
                long seed = SEED + kind.ordinal() * 1_000_003L + i;
                String id = kind + "/" + i;
                if (KNOWN_ESCAPES.contains(id)) {
                    skipped++;
                    continue;
                }
                replay(kind, i, seed);
                cases++;
            }
        }
        assertTrue(cases >= 300, "a few hundred cases: " + cases);
        assertEquals(KNOWN_ESCAPES.stream().filter(e -> !e.startsWith("JMX/")).count(), skipped,
                "the known escapes are cases of this run");
        // The stall watch ends once no call is being received: it looks every second at most.
        for (int i = 0; i < 1000 && threads("jlivepatch-control-stalls") > 0; i++) {
            Thread.sleep(10);
        }
        assertEquals(0, threads("jlivepatch-control-stalls"), "the stall watch ended");
    }

    /** One socket case, then the checks; the failure names the case and its seed. */
    static void replay(Kind kind, int i, long seed) throws Exception {
        String id = "case " + kind + "/" + i + " (seed 0x" + Long.toHexString(seed) + ")";
        List<String> before = patchStates();
        try {
            runCase(kind, i, seed);
        } catch (AssertionError | Exception e) {
            throw new AssertionError(id + ": " + e, e);
        }
        checkWhole(id, before);
    }

    /**
     * Connections left idle past the idle limit, and one stalled in a call past the stall limit
     * (both shortened): each is closed by the server, the next command is served, and nothing stays.
     */
    @Test
    void idleAndStalledConnectionsAreClosedAndTheControlStaysWhole() throws Exception {
        ControlServer.idleAfterForTests(Duration.ofMillis(50));
        ControlServer.stallAfterForTests(Duration.ofMillis(100));
        try {
            for (int i = 0; i < 6; i++) {
                long seed = SEED + 77_000 + i;
                String id = "case IDLE/" + i + " (seed 0x" + Long.toHexString(seed) + ")";
                List<String> before = patchStates();
                Random r = new Random(seed);
                try {
                    if (i % 2 == 0) {
                        // every place taken by clients that then say nothing; the ninth makes room
                        List<SocketChannel> held = new ArrayList<>();
                        for (int c = 0; c < ControlServer.MAX_SESSIONS; c++) {
                            SocketChannel s = greeted(5);
                            if (r.nextBoolean()) {
                                send(s, Frame.call(r, "", "getVersion").bytes()); // answered, then idle
                            }
                            held.add(s);
                        }
                        Thread.sleep(60); // past the idle limit of 50 ms
                        assertStatusAnswered(id);
                        for (SocketChannel s : held) {
                            s.close();
                        }
                    } else {
                        // a call cut in its middle: closed as stalled, its JAR room given back
                        SocketChannel s = greeted(6);
                        byte[] call = Frame.loadContent(r, r.nextInt(2000) + 10).bytes();
                        send(s, java.util.Arrays.copyOf(call, 1 + r.nextInt(call.length - 1)));
                        readToEnd(s); // the server closes it: a hang here is the defect
                        s.close();
                    }
                } catch (AssertionError | Exception e) {
                    throw new AssertionError(id + ": " + e, e);
                }
                checkWhole(id, before);
            }
        } finally {
            ControlServer.idleAfterForTests(Duration.ofSeconds(ControlServer.IDLE_SECONDS));
            ControlServer.stallAfterForTests(Duration.ofSeconds(ControlServer.STALL_SECONDS));
        }
    }

    // --- the socket cases -------------------------------------------------------------------------

    static void runCase(Kind kind, int i, long seed) throws Exception {
        Random r = new Random(seed);
        switch (kind) {
            case BYTES_BEFORE_HELLO: {
                byte[] junk = random(r, r.nextInt(64));
                if (i % 3 == 1) { // the magic, then a pid cut short or junk
                    junk = concat(ByteBuffer.allocate(4).putInt(io.jlivepatch.internal.control.Wire.MAGIC).array(),
                            random(r, r.nextInt(8)));
                }
                exchange(null, junk, false);
                break;
            }
            case BYTES_AFTER_HELLO: {
                byte[] junk = random(r, r.nextInt(300));
                if (r.nextBoolean() && junk.length > 0) {
                    junk[0] = Wire.CALL; // a call's start at least
                }
                exchange(r.nextLong(), junk, true);
                break;
            }
            case MUTATED_LENGTH: {
                Frame f = Frame.safe(r);
                f.mutateLength(r);
                exchange(r.nextLong(), f.bytes(), true);
                break;
            }
            case FLIPPED_BYTES: {
                byte[] b = Frame.safe(r).bytes();
                for (int n = 1 + r.nextInt(3); n > 0; n--) {
                    b[1 + r.nextInt(b.length - 1)] ^= (byte) (1 << r.nextInt(8));
                }
                exchange(r.nextLong(), b, true);
                break;
            }
            case TRUNCATED: {
                byte[] b = Frame.safe(r).bytes();
                exchange(r.nextLong(), java.util.Arrays.copyOf(b, r.nextInt(b.length)), true);
                break;
            }
            case UNKNOWN_CALL: {
                Frame f;
                switch (i % 4) {
                    case 0: f = Frame.call(r, junkName(r), pick(r, LIVEPATCH_METHODS)); break; // no such patch
                    case 1: f = Frame.call(r, "", junkName(r)); break;
                    case 2: f = Frame.call(r, ANCHOR, junkName(r)); break;
                    default: {
                        // a message that is no call after the hello: refused saying so, then closed
                        f = Frame.call(r, "", "getVersion");
                        f.kind = (byte) (2 + r.nextInt(250));
                        List<String> refusals = new ArrayList<>();
                        parse(readAll(r.nextLong(), concat(f.bytes(), Frame.call(r, "", "getVersion").bytes())), true,
                                true, refusals);
                        assertEquals(1, refusals.size(), "one refusal, then the close: " + refusals);
                        String refused = refusals.get(0);
                        assertTrue(refused.startsWith("UNSUPPORTED: a message of kind " + (f.kind & 0xff) + " after the"
                                + " hello, where a call (kind 1) goes: nothing was run, and the connection is closed"),
                                refused);
                        return;
                    }
                }
                exchange(r.nextLong(), concat(f.bytes(), Frame.call(r, "", "getVersion").bytes()), true);
                break;
            }
            case WRONG_ARGUMENTS: {
                Frame f = Frame.wrongArguments(r, i);
                exchange(r.nextLong(), concat(f.bytes(), Frame.call(r, "", "getPatches").bytes()), true);
                break;
            }
            case NOT_UTF8: {
                Frame f = new Frame();
                f.name(i % 3 == 0 ? notUtf8(r) : new byte[0]);
                f.name(i % 3 == 1 ? notUtf8(r) : (i % 2 == 0 ? "load" : "isEnabled").getBytes(StandardCharsets.UTF_8));
                if (i % 3 != 1 && i % 2 == 0) {
                    f.arguments(2);
                    f.string(notUtf8(r));
                    f.bool(r.nextBoolean());
                } else {
                    f.arguments(0);
                }
                exchange(r.nextLong(), concat(f.bytes(), Frame.call(r, "", "getVersion").bytes()), true);
                break;
            }
            case JAR_SHORT: {
                // announced, fewer bytes sent, then closed
                byte[] call = Frame.loadContent(r, 10 + r.nextInt(5000)).bytes();
                int head = 1 + 4 + 0 + 4 + "loadContent".length() + 4 + 1 + 4; // through the JAR's length
                exchange(r.nextLong(), java.util.Arrays.copyOf(call, head + r.nextInt(call.length - head)), true);
                break;
            }
            case JAR_LONG: {
                // announced, then more bytes than announced: the surplus is read as the next call
                Frame f = Frame.loadContent(r, 10 + r.nextInt(2000));
                f.jarSurplus = 1 + r.nextInt(200);
                exchange(r.nextLong(), concat(f.bytes(), Frame.call(r, "", "getVersion").bytes()), true);
                break;
            }
            case MANY_SESSIONS: {
                List<SocketChannel> all = new ArrayList<>();
                try {
                    for (int c = 0; c < 4 + r.nextInt(10); c++) {
                        SocketChannel s = connect();
                        all.add(s);
                        switch (r.nextInt(4)) {
                            case 0: break; // says nothing
                            case 1: send(s, hello(r.nextLong())); break;
                            case 2: send(s, concat(hello(r.nextLong()), Frame.safe(r).bytes())); break;
                            default: send(s, concat(hello(r.nextLong()), java.util.Arrays.copyOf(
                                    Frame.loadContent(r, 100 + r.nextInt(1000)).bytes(), 40)));
                        }
                    }
                    for (SocketChannel s : all) {
                        if (r.nextBoolean()) {
                            s.shutdownOutput();
                            parse(readToEnd(s), true, false); // whatever came is whole
                        }
                    }
                } finally {
                    for (SocketChannel s : all) {
                        s.close();
                    }
                }
                break;
            }
            case PIPELINED: {
                // many calls in one write, their replies read only at the end: each is answered, in order
                int calls = 20 + r.nextInt(280);
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                for (int c = 0; c < calls; c++) {
                    b.writeBytes(Frame.safe(r).bytes());
                }
                byte[] all = readAll(r.nextLong(), b.toByteArray());
                assertEquals(calls, parse(all, true, true), "every call answered");
                break;
            }
            default:
                throw new AssertionError(kind);
        }
    }

    /**
     * Connects, says hello (unless {@code pid} is null), sends {@code bytes} and half-closes, then
     * reads whatever the server answers until it closes, and checks every answer is whole and clear.
     */
    private static void exchange(Long pid, byte[] bytes, boolean helloAnswered) throws Exception {
        parse(pid == null ? readAll(null, bytes) : readAll(pid, bytes), pid != null && helloAnswered, pid != null);
    }

    /**
     * Connects, says hello (unless {@code pid} is null), sends {@code bytes}, half-closes; all the
     * server sent. Sent from a thread of its own while this one reads: many calls in one write
     * could otherwise fill both directions' buffers, each end waiting for the other to read.
     */
    private static byte[] readAll(Long pid, byte[] bytes) throws Exception {
        try (SocketChannel s = connect()) {
            Thread sender = new Thread(() -> {
                send(s, pid == null ? bytes : concat(hello(pid), bytes));
                try {
                    s.shutdownOutput();
                } catch (IOException closedAlready) {
                    // the server refused and closed before the last byte went
                }
            }, "hostile-wire-sender");
            sender.start();
            byte[] all = readToEnd(s);
            sender.join();
            return all;
        }
    }

    /**
     * The answers in {@code b}: a hello (or a BUSY turning away), then whole replies, each clear.
     *
     * @return how many replies there were
     */
    private static int parse(byte[] b, boolean expectHello, boolean greeted) throws IOException {
        return parse(b, expectHello, greeted, new ArrayList<>());
    }

    /** {@link #parse(byte[], boolean, boolean)}, adding each refusal's message to {@code refusals}. */
    private static int parse(byte[] b, boolean expectHello, boolean greeted, List<String> refusals)
            throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(b));
        int replies = 0;
        if (b.length == 0) {
            assertTrue(!expectHello || !greeted, "a greeted client got no hello");
            return replies; // not the protocol: closed without a word
        }
        assertEquals(Wire.MAGIC, in.readInt(), "the server's hello");
        String version = Wire.readString(in);
        if (version.isEmpty()) { // turned away
            assertEquals(Wire.FAILED, in.readByte());
            String busy = Wire.readString(in);
            assertTrue(busy.startsWith("BUSY: "), busy);
            assertEquals(-1, in.read(), "nothing after a turning away");
            return replies;
        }
        while (true) {
            int status = in.read();
            if (status < 0) {
                return replies;
            }
            replies++;
            try {
                if (status == Wire.OK) {
                    Wire.readValue(in, Long.MAX_VALUE);
                } else if (status == Wire.REFUSED || status == Wire.FAILED) {
                    String why = Wire.readString(in);
                    refusals.add(why);
                    assertTrue(why.matches("(?s)[A-Z_]+: .+"),
                            "a refusal says what was wrong, reason first: " + why);
                    assertEquals(Wire.REFUSED, status, "a hostile call is refused, never failed: " + why);
                } else {
                    fail("a reply of status " + status);
                }
            } catch (EOFException cut) {
                fail("a reply cut short: " + b.length + " bytes");
            }
        }
    }

    // --- what must hold after every case --------------------------------------------------------

    private static void checkWhole(String id, List<String> before) throws Exception {
        try {
            settle(id);
            assertStatusAnswered(id);
            settle(id);
            assertEquals(before, patchStates(), "the patch list and its states");
            assertTrue(sessionThreads() <= sessionThreads, "the sessions' threads are back to their count");
            List<String> extra = extraThreads();
            // A thread of jlivepatch's that does its job and ends (a relink's, a transition's worker) may
            // still be ending as the case is checked: only one still there after 10 s was left behind.
            for (int i = 0; i < 1000 && !extra.isEmpty(); i++) {
                Thread.sleep(10);
                extra = extraThreads();
            }
            assertEquals(List.of(), extra, "jlivepatch's threads started and left behind");
            long files = awaitAtMost(HostileWireTest::openFiles, openFiles);
            assertTrue(files <= openFiles, () -> "open files back to " + openFiles + ": " + files + " "
                    + describeFiles());
            assertEquals(watchedBefore, ReconcileStatus.current().directory(), "the watched directory");
        } catch (AssertionError | Exception e) {
            throw new AssertionError(id + ": " + e.getMessage(), e);
        }
    }

    /**
     * Waits until every session's thread has ended and nothing is held: no room for patch JARs, no
     * operation under way. A hang detector: the state is reached, or the control is not whole.
     */
    private static void settle(String id) throws Exception {
        for (int i = 0; i < 1000; i++) {
            if (sessionThreads() <= sessionThreads && ControlServer.jarBytesHeldForTests() <= jarBytesHeld
                    && operationsUnderWay() <= operationsUnderWay) {
                return;
            }
            Thread.sleep(10);
        }
        fail(id + ": not settled in 10 s: " + sessionThreads() + " session threads (" + sessionThreads + " before), "
                + ControlServer.jarBytesHeldForTests() + " JAR bytes held (" + jarBytesHeld + " before), "
                + operationsUnderWay() + " operations under way (" + operationsUnderWay + " before)");
    }

    private static void assertStatusAnswered(String id) throws Exception {
        for (int attempt = 0; ; attempt++) {
            try (SocketChannel s = connect()) {
                DataOutputStream out = new DataOutputStream(Channels.newOutputStream(s));
                DataInputStream in = new DataInputStream(Channels.newInputStream(s));
                out.write(concat(hello(1), Frame.call(new Random(0), "", "statusText").bytes()));
                out.flush();
                assertEquals(Wire.MAGIC, in.readInt());
                if (!Wire.readString(in).isEmpty()) {
                    assertEquals(Wire.OK, in.readByte(), "status answers");
                    String status = (String) Wire.readValue(in, Long.MAX_VALUE);
                    assertTrue(status.contains(ANCHOR), status);
                    return;
                }
            } catch (IOException turnedAway) {
                // BUSY, and closed before the call went: as below
            }
            // BUSY: the places of the case's connections are given back as their threads end
            assertTrue(attempt < 1000, id + ": every place of the control socket stayed taken for 10 s");
            Thread.sleep(10);
        }
    }

    private static List<String> patchStates() {
        List<String> out = new ArrayList<>();
        for (PatchHandle h : Jars.lp().patches()) {
            out.add(h.name() + (h.isEnabled() ? " enabled" : " disabled") + (h.inTransition() ? " in transition" : ""));
        }
        return out;
    }

    static int sessionThreads() {
        return threads(SESSION_THREAD);
    }

    private static int threads(String name) {
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (name.equals(t.getName())) {
                n++;
            }
        }
        return n;
    }

    /** jlivepatch's threads now that were not there before the cases (those of earlier classes may end meanwhile). */
    private static List<String> extraThreads() {
        List<String> extra = new ArrayList<>(ownThreads());
        ownThreads.forEach(extra::remove);
        return extra;
    }

    private static List<String> ownThreads() {
        List<String> names = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            String n = t.getName();
            if (n.startsWith("jlivepatch") && !n.equals(SESSION_THREAD) && !n.equals("jlivepatch-control-stalls")) {
                names.add(n);
            }
        }
        java.util.Collections.sort(names);
        return names;
    }

    static long openFiles() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (IOException e) {
            return 0; // not Linux: not checked
        }
    }

    private static String describeFiles() {
        List<String> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            s.forEach(p -> {
                try {
                    out.add(p.getFileName() + "->" + Files.readSymbolicLink(p));
                } catch (IOException gone) {
                    // closed meanwhile
                }
            });
        } catch (IOException e) {
            return "";
        }
        return out.toString();
    }

    private static long awaitAtMost(Supplier<Long> value, long at) throws InterruptedException {
        long v = value.get();
        for (int i = 0; i < 200 && v > at; i++) {
            Thread.sleep(10); // a closed socket's descriptor goes with its session's thread, just ended
            v = value.get();
        }
        return v;
    }

    /** The operations under way in the registry (a load whose JAR was being received, say). */
    static int operationsUnderWay() throws ReflectiveOperationException {
        java.lang.reflect.Field f = Livepatch.class.getDeclaredField("registry");
        f.setAccessible(true);
        PatchRegistry registry = (PatchRegistry) f.get(Jars.lp());
        java.lang.reflect.Field ops = PatchRegistry.class.getDeclaredField("operations");
        ops.setAccessible(true);
        List<?> list = (List<?>) ops.get(registry);
        synchronized (list) {
            return list.size();
        }
    }

    // --- the wire, written by hand -------------------------------------------------------------

    private static SocketChannel connect() throws Exception {
        String path = null;
        for (int i = 0; i < 3000 && (path = System.getProperty(LocalChannel.PROPERTY)) == null; i++) {
            Thread.sleep(10); // the socket opens from a thread of jlivepatch's own
        }
        assertTrue(path != null, "the control socket is published");
        SocketChannel s = SocketChannel.open(StandardProtocolFamily.UNIX);
        s.connect(UnixDomainSocketAddress.of(path));
        return s;
    }

    /** A greeted connection with a place of its own (BUSY waited out). */
    private static SocketChannel greeted(long pid) throws Exception {
        for (int attempt = 0; attempt < 1000; attempt++) {
            SocketChannel s = connect();
            send(s, hello(pid));
            DataInputStream in = new DataInputStream(Channels.newInputStream(s));
            assertEquals(Wire.MAGIC, in.readInt());
            if (!Wire.readString(in).isEmpty()) {
                return s;
            }
            s.close();
            Thread.sleep(10);
        }
        throw new AssertionError("every place stayed taken");
    }

    private static void send(SocketChannel s, byte[] b) {
        try {
            ByteBuffer buf = ByteBuffer.wrap(b);
            while (buf.hasRemaining()) {
                s.write(buf);
            }
        } catch (IOException refusedAndClosed) {
            // the server answered what it had read and closed: the answer is still to be read
        }
    }

    /**
     * Everything the server sends until it closes; a reset (it closed with bytes unread) ends it too.
     * A hang detector closes the client's end after 10 s: a server that never closes fails the case
     * that made it, by name, where a blocked read would hang the run.
     */
    private static byte[] readToEnd(SocketChannel s) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        InputStream in = Channels.newInputStream(s);
        byte[] b = new byte[8192];
        java.util.concurrent.ScheduledFuture<?> detector = HANG.schedule(() -> {
            try {
                s.close();
            } catch (IOException ignored) {
                // closed either way
            }
        }, 10, java.util.concurrent.TimeUnit.SECONDS);
        try {
            for (int n; (n = in.read(b)) >= 0; ) {
                all.write(b, 0, n);
            }
        } catch (java.nio.channels.AsynchronousCloseException hung) {
            fail("the server neither answered nor closed the connection in 10 s (" + all.size() + " bytes came)");
        } catch (IOException reset) {
            assertTrue(String.valueOf(reset.getMessage()).contains("reset"), () -> "closed, not " + reset);
        } finally {
            detector.cancel(false);
        }
        return all.toByteArray();
    }

    /** Closes a connection whose read hangs ({@link #readToEnd}); a daemon thread of the test's. */
    private static final java.util.concurrent.ScheduledExecutorService HANG =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "hostile-wire-hang-detector");
                t.setDaemon(true);
                return t;
            });

    private static byte[] hello(long pid) {
        return ByteBuffer.allocate(12).putInt(Wire.MAGIC).putLong(pid).array();
    }

    /** A call as the command writes it, built field by field so that one length can be mutated. */
    static final class Frame {
        byte kind = Wire.CALL;
        /** Each field: an int that is a length or count ({@code Integer}) or bytes as they are ({@code byte[]}). */
        final List<Object> fields = new ArrayList<>();
        /** Bytes sent after a patch JAR's, over its announced length. */
        int jarSurplus;
        private int jarAt = -1;

        void name(byte[] utf8) {
            fields.add(utf8.length);
            fields.add(utf8);
        }

        void arguments(int n) {
            fields.add(n);
        }

        void string(byte[] utf8) {
            fields.add(new byte[] {Wire.STRING});
            name(utf8);
        }

        void bool(boolean v) {
            fields.add(new byte[] {Wire.BOOLEAN, (byte) (v ? 1 : 0)});
        }

        void number(long v) {
            fields.add(ByteBuffer.allocate(9).put(Wire.LONG).putLong(v).array());
        }

        void nothing() {
            fields.add(new byte[] {Wire.NULL});
        }

        void jar(byte[] content) {
            fields.add(new byte[] {Wire.BYTES});
            fields.add(content.length);
            jarAt = fields.size();
            fields.add(content);
        }

        /** One of the ints, replaced with a hostile length: negative, huge, off by one. */
        void mutateLength(Random r) {
            List<Integer> at = new ArrayList<>();
            for (int i = 0; i < fields.size(); i++) {
                if (fields.get(i) instanceof Integer) {
                    at.add(i);
                }
            }
            int i = at.get(r.nextInt(at.size()));
            int v = (Integer) fields.get(i);
            int[] hostile = {-1, Integer.MIN_VALUE, Integer.MAX_VALUE, v + 1, v - 1, 1 << 30, 0, 257, 65537,
                    v * 2 + 1, 64 << 20, (64 << 20) + 1};
            fields.set(i, hostile[r.nextInt(hostile.length)]);
        }

        byte[] bytes() {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            b.write(kind);
            for (int i = 0; i < fields.size(); i++) {
                Object f = fields.get(i);
                if (f instanceof Integer) {
                    b.writeBytes(ByteBuffer.allocate(4).putInt((Integer) f).array());
                } else {
                    b.writeBytes((byte[]) f);
                    if (i == jarAt) {
                        b.writeBytes(new byte[jarSurplus]);
                    }
                }
            }
            return b.toByteArray();
        }

        static Frame call(Random r, String object, String method) {
            Frame f = new Frame();
            f.name(object.getBytes(StandardCharsets.UTF_8));
            f.name(method.getBytes(StandardCharsets.UTF_8));
            f.arguments(0);
            return f;
        }

        /** A load of {@code n} bytes that are no patch JAR (refused), with their right digest or not. */
        static Frame loadContent(Random r, int n) {
            byte[] content = random(r, n);
            if (r.nextBoolean() && n > 4) { // a ZIP's start, for the reader to go further
                content[0] = 'P';
                content[1] = 'K';
                content[2] = 3;
                content[3] = 4;
            }
            Frame f = new Frame();
            f.name(new byte[0]);
            f.name("loadContent".getBytes(StandardCharsets.UTF_8));
            f.arguments(5);
            f.jar(content);
            f.string((r.nextBoolean() ? Sha256.hex(content) : "00").getBytes(StandardCharsets.UTF_8));
            f.string(("/hostile/" + r.nextInt(1000) + ".jar").getBytes(StandardCharsets.UTF_8));
            f.bool(r.nextBoolean());
            f.bool(r.nextBoolean());
            return f;
        }

        /** A well-formed call that changes nothing whatever its answer. */
        static Frame safe(Random r) {
            switch (r.nextInt(7)) {
                case 0: return call(r, "", "getVersion");
                case 1: return call(r, "", "getPatches");
                case 2: return call(r, "", "statusJson");
                case 3: return call(r, ANCHOR, pick(r, PATCH_READS));
                case 4: return loadContent(r, r.nextInt(600));
                case 5: {
                    Frame f = new Frame();
                    f.name(new byte[0]);
                    f.name("watch".getBytes(StandardCharsets.UTF_8));
                    f.arguments(3);
                    f.string(new byte[0]);
                    f.number(r.nextBoolean() ? 0 : -r.nextInt(1000));
                    f.number(Long.MIN_VALUE + r.nextInt(10));
                    return f;
                }
                default: {
                    Frame f = new Frame();
                    f.name(new byte[0]);
                    f.name("load".getBytes(StandardCharsets.UTF_8));
                    f.arguments(2);
                    f.string(("/no/such/dir/" + r.nextInt(100) + ".jar").getBytes(StandardCharsets.UTF_8));
                    f.bool(r.nextBoolean());
                    return f;
                }
            }
        }

        /** A known operation with too few or too many arguments, or of the wrong types. */
        static Frame wrongArguments(Random r, int i) {
            String object;
            String method;
            int count;
            switch (i % 5) {
                case 0: object = ANCHOR; method = "setEnabled"; count = r.nextBoolean() ? 0 : 2 + r.nextInt(3); break;
                case 1: object = ANCHOR; method = r.nextBoolean() ? "force" : "unregister"; count = 1 + r.nextInt(4); break;
                case 2: object = ""; method = "loadContent"; count = r.nextInt(5); break; // fewer than five
                case 3: object = ""; method = "watch"; count = 3; break; // of the wrong types below
                default: object = ""; method = pick(r, LIVEPATCH_METHODS); count = 6 + r.nextInt(Wire.MAX_ARGUMENTS - 5);
            }
            Frame f = new Frame();
            f.name(object.getBytes(StandardCharsets.UTF_8));
            f.name(method.getBytes(StandardCharsets.UTF_8));
            f.arguments(count);
            for (int a = 0; a < count; a++) {
                switch (r.nextInt(4)) {
                    case 0: f.nothing(); break;
                    case 1: f.bool(r.nextBoolean()); break;
                    case 2: f.number(r.nextLong()); break;
                    default: f.string(random(r, r.nextInt(40)));
                }
            }
            if (i % 5 == 3) { // a watch of a null or a boolean where the numbers go: never of a valid call
                f.fields.set(f.fields.size() - 1, new byte[] {Wire.BOOLEAN, 1});
            }
            return f;
        }
    }

    private static String junkName(Random r) {
        StringBuilder sb = new StringBuilder();
        for (int n = r.nextInt(40); n > 0; n--) {
            sb.append((char) (r.nextBoolean() ? r.nextInt(0x20) : r.nextInt(0x3000)));
        }
        String s = sb.toString();
        return s.getBytes(StandardCharsets.UTF_8).length > Wire.MAX_NAME_BYTES ? s.substring(0, 60) : s;
    }

    /** Bytes that are not UTF-8: a lone continuation, an overlong form, a surrogate, 0xFF. */
    private static byte[] notUtf8(Random r) {
        byte[][] bad = {{(byte) 0x80}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                {(byte) 0xFF}, {(byte) 0xC3, 0x28}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}};
        return concat("x".getBytes(StandardCharsets.UTF_8), bad[r.nextInt(bad.length)], random(r, r.nextInt(4)));
    }

    private static String pick(Random r, String[] a) {
        return a[r.nextInt(a.length)];
    }

    private static byte[] random(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    // --- the MBeans --------------------------------------------------------------------------------

    /**
     * The MBeans' operations and attributes with hostile arguments: nulls, empty and huge values,
     * names with control characters, wrong signatures. Each either answers or throws an exception
     * that says what was wrong; none leaves the calling thread marked or as another requester, and
     * nothing changes.
     */
    @Test
    void hostileArgumentsThroughJmxLeaveTheControlWhole() throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName lp = ObjectNames.livepatch();
        ObjectName anchor = ObjectNames.patch(ANCHOR);
        String[] loadSig = {String.class.getName(), boolean.class.getName()};
        String[] contentSig = {byte[].class.getName(), String.class.getName(), String.class.getName(),
                boolean.class.getName(), boolean.class.getName()};
        String[] watchSig = {String.class.getName(), long.class.getName(), long.class.getName()};
        String control = "a\nb\u0000c\u001b[2J\u202e\t";
        JarLimits limits = JarLimits.current();
        List<JmxCase> cases = new ArrayList<>();
        Random r = new Random(SEED + 99);
        for (String path : new String[] {null, "", " ", "\u0000", control, "x".repeat(100_000), "/", "/proc/self/fd/0",
                "/dev/zero", "/no/such/" + control + ".jar"}) {
            for (boolean enable : new boolean[] {false, true}) {
                cases.add(new JmxCase("load(" + Text.of(path) + ", " + enable + ")",
                        () -> server.invoke(lp, "load", new Object[] {path, enable}, loadSig)));
            }
        }
        byte[][] contents = {null, new byte[0], random(r, 1), random(r, 5000), random(r, 4 << 20),
                {'P', 'K', 5, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
        String[] digests = {null, "", control, "0".repeat(100_000)};
        for (byte[] content : contents) {
            for (String digest : digests) {
                for (String source : new String[] {null, control}) {
                    String d = digest == null && content != null && r.nextBoolean() ? Sha256.hex(content) : digest;
                    cases.add(new JmxCase("loadContent(" + (content == null ? "null" : content.length + " bytes") + ", "
                            + Text.of(d) + ", " + Text.of(source) + ")", () -> server.invoke(lp, "loadContent",
                            new Object[] {content, d, source, r.nextBoolean(), r.nextBoolean()}, contentSig)));
                }
            }
        }
        cases.add(new JmxCase("loadContent over the JAR limit", () -> {
            JarLimits.setCurrent(limits.with(JarLimits.MAX_JAR_BYTES, "1000"));
            try {
                byte[] big = random(r, 2000);
                return server.invoke(lp, "loadContent", new Object[] {big, Sha256.hex(big), control, true, true},
                        contentSig);
            } finally {
                JarLimits.setCurrent(limits);
            }
        }));
        for (String dir : new String[] {null, "", control, "x".repeat(100_000), "/no/such/dir"}) {
            for (long[] t : new long[][] {{0, 0}, {-1, 30}, {30, -1}, {Long.MAX_VALUE, 30}, {30, Long.MIN_VALUE},
                    {86_401, 30}, {30, 3601}}) {
                cases.add(new JmxCase("watch(" + Text.of(dir) + ", " + t[0] + ", " + t[1] + ")",
                        () -> server.invoke(lp, "watch", new Object[] {dir, t[0], t[1]}, watchSig)));
            }
        }
        // the wrong signatures, arguments and names: the MBean server's own refusals
        cases.add(new JmxCase("load with nulls for a boolean", () -> server.invoke(lp, "load",
                new Object[] {"/x.jar", null}, loadSig)));
        cases.add(new JmxCase("load with a string for a boolean", () -> server.invoke(lp, "load",
                new Object[] {"/x.jar", "true"}, loadSig)));
        cases.add(new JmxCase("watch with nulls for its numbers", () -> server.invoke(lp, "watch",
                new Object[] {"/no/such/dir", null, null}, watchSig)));
        cases.add(new JmxCase("loadContent with nulls for its booleans", () -> server.invoke(lp, "loadContent",
                new Object[] {new byte[10], null, null, null, null}, contentSig)));
        cases.add(new JmxCase("watch with strings for its numbers", () -> server.invoke(lp, "watch",
                new Object[] {"/no/such/dir", "30", "30"}, watchSig)));
        cases.add(new JmxCase("load of no signature", () -> server.invoke(lp, "load", null, null)));
        cases.add(new JmxCase("load with a huge parameter array", () -> server.invoke(lp, "load",
                new Object[100_000], new String[100_000])));
        cases.add(new JmxCase("an operation named with control characters", () -> server.invoke(lp, control,
                new Object[0], new String[0])));
        cases.add(new JmxCase("an operation named null", () -> server.invoke(lp, null, null, null)));
        cases.add(new JmxCase("statusText with arguments", () -> server.invoke(lp, "statusText",
                new Object[] {control}, new String[] {String.class.getName()})));
        cases.add(new JmxCase("an attribute named null", () -> server.getAttribute(lp, null)));
        cases.add(new JmxCase("an attribute named with control characters", () -> server.getAttribute(lp, control)));
        String[] many = new String[100_000];
        java.util.Arrays.fill(many, control);
        many[0] = "Patches";
        many[1] = null;
        cases.add(new JmxCase("a huge attribute list", () -> server.getAttributes(lp, many)));
        cases.add(new JmxCase("writing a read-only attribute", () -> {
            server.setAttribute(lp, new Attribute("Patches", new String[] {control}));
            return null;
        }));
        cases.add(new JmxCase("writing Enabled a string", () -> {
            server.setAttribute(anchor, new Attribute("Enabled", "true"));
            return null;
        }));
        cases.add(new JmxCase("writing Enabled null", () -> {
            server.setAttribute(anchor, new Attribute("Enabled", null));
            return null;
        }));
        cases.add(new JmxCase("writing Enabled a huge array", () -> {
            server.setAttribute(anchor, new Attribute("Enabled", new boolean[1 << 20]));
            return null;
        }));
        cases.add(new JmxCase("writing a list of hostile attributes", () -> {
            AttributeList list = new AttributeList();
            list.add(new Attribute("Enabled", control));
            list.add(new Attribute(control, true));
            list.add(new Attribute("Name", "renamed"));
            return server.setAttributes(anchor, list);
        }));
        cases.add(new JmxCase("force with arguments", () -> server.invoke(anchor, "force",
                new Object[] {control}, new String[] {String.class.getName()})));
        cases.add(new JmxCase("unregister with a null signature entry", () -> server.invoke(anchor, "unregister",
                new Object[] {null}, new String[] {null})));
        cases.add(new JmxCase("a patch named with control characters", () -> server.invoke(
                ObjectNames.patch(control), "unregister", new Object[0], new String[0])));
        cases.add(new JmxCase("a patch named with control characters, its attribute", () -> server.getAttribute(
                ObjectNames.patch(control), "Enabled")));

        List<String> before = patchStates();
        String requester = Requester.current();
        int n = 0;
        List<String> escaped = new ArrayList<>();
        for (JmxCase c : cases) {
            if (KNOWN_ESCAPES.contains("JMX/" + c.what)) {
                continue;
            }
            String id = "JMX case " + n++ + " (" + c.what + ")";
            try {
                c.call.call();
            } catch (Exception refused) {
                try {
                    assertClear(id, refused);
                } catch (AssertionError e) {
                    escaped.add(e.getMessage());
                }
            } catch (Error e) {
                throw new AssertionError(id + ": an Error escaped: " + e, e);
            }
            assertEquals(requester, Requester.current(), id + ": the caller's requester");
            assertEquals(before, patchStates(), id + ": the patch list and its states");
            assertEquals(watchedBefore, ReconcileStatus.current().directory(), id + ": the watched directory");
            assertTrue(operationsUnderWay() <= operationsUnderWay, id + ": no operation left under way");
            assertTrue(Jars.statusText().contains(ANCHOR), id + ": status answers");
        }
        assertTrue(escaped.isEmpty(), String.join("\n", escaped));
        assertTrue(n >= 100, "cases: " + n);
        assertStatusAnswered("after the JMX cases");
    }

    /** An exception that says what was wrong: a message somewhere in its chain, and no raw NPE of ours. */
    private static void assertClear(String id, Throwable e) {
        StringBuilder chain = new StringBuilder();
        boolean said = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            chain.append(" <- ").append(t);
            String m = t.getMessage();
            if (m != null && !m.isBlank() && !m.startsWith("java.")) {
                said = true;
            }
            if (t instanceof NullPointerException || t instanceof ClassCastException
                    || t instanceof IndexOutOfBoundsException) {
                assertTrue(!thrownByJlivepatch(t), id + ": a bare " + t + " from jlivepatch's code:" + chain);
            }
        }
        assertTrue(said, id + ": no message says what was wrong:" + chain);
    }

    /** Whether the first frame of {@code t} that is not the JDK's own library is jlivepatch's (not the MBean server's). */
    private static boolean thrownByJlivepatch(Throwable t) {
        for (StackTraceElement e : t.getStackTrace()) {
            String c = e.getClassName();
            if (!c.startsWith("java.") && !c.startsWith("jdk.internal.") && !c.startsWith("sun.")) {
                return c.startsWith("io.jlivepatch");
            }
        }
        return false;
    }

    private record JmxCase(String what, java.util.concurrent.Callable<Object> call) {
    }

    /** A value for a case's name: control characters escaped, long ones cut. */
    private static final class Text {
        static String of(String s) {
            if (s == null) {
                return "null";
            }
            String t = io.jlivepatch.internal.Text.clean(s);
            return t.length() > 40 ? t.substring(0, 40) + "...(" + s.length() + ")" : "'" + t + "'";
        }
    }
}
