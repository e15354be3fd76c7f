package io.jlivepatch.agent.cli;

import io.jlivepatch.control.WaitingThread;
import io.jlivepatch.internal.control.Wire;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * A stand-in for jlivepatch in a target, on a control socket of its own that the command connects to in
 * place of attaching ({@link TargetJvm#standInSocketForTests}): it answers each call as the agent does
 * (ControlSession's refusal of a call on a patch that is not registered included), so that a test decides
 * what a call at an exact point answers: another operation unregistering the patch there, a refusal, or a
 * connection closed without an answer. One connection, one command; with {@link #loadAnswers} set, every
 * connection, each on a thread of its own (a command's second look while its load is held in the call).
 *
 * <p>The fields are set before {@link #start}, whose thread start orders them before the server's reads;
 * what the server changes afterwards is read through the synchronized methods.
 */
final class StandInAgent implements AutoCloseable {

    /** The patches registered, bottom first. */
    final List<String> registered = new ArrayList<>();
    boolean enabled;
    /** Whether a transition runs: for ever, or never. */
    boolean transitionRuns;
    /** The call (method name) before whose answer another operation unregisters fix, or null. */
    String unregisterAt;
    /** Which call of {@link #unregisterAt} or {@link #closeAt} (a test sets one of them): 1, the first. */
    int occurrence = 1;
    /** The call the target refuses, every time, with {@link #refusal} (fix still registered), or null. */
    String refuseAt;
    String refusal;
    /** The call at which the target closes the connection without answering, or null. */
    String closeAt;
    /** A call that must have come first, or null: closeAt's or unregisterAt's first call after it. */
    String after;
    /** The one function line getFunctions answers. */
    String functionLine = "a.B.c()V [app@1]: patched";
    /** What getWaiting answers. */
    WaitingThread[] waiting = new WaitingThread[0];
    /** What statusJson answers, from this stand-in's state then. */
    Function<StandInAgent, String> status = agent -> "{}";
    /**
     * When set, a loadContent registers and enables {@code fix} and is answered only once this opens (bounded, and
     * opened by {@link #close}), as jlivepatch answers a load whose transition ended inside the call while its
     * postPatch has not returned.
     */
    CountDownLatch loadAnswers;
    /**
     * With {@link #loadAnswers}: a setEnabled too is held in its call, its change made (as jlivepatch's enable or
     * disable whose transition ended inside the call while its postPatch or postUnpatch has not returned).
     */
    boolean holdSetEnabled;
    /**
     * Whether the stand-in answers the session calls (internal.control.SessionCalls) as jlivepatch does: a token
     * per connection, and {@link #ownClosing} to the token of the connection whose held call changed it; else it
     * refuses them as an agent before them does.
     */
    boolean sessionTokens;
    /**
     * With {@link #sessionTokens} unset: the session calls are answered as failed (Wire.FAILED), as an agent built
     * from 2026-12-01 to 2026-12-03 (b56864a2 until 3fe84f4a) answered any call it lacked, rather than refused.
     */
    boolean sessionCallsFail;
    /** What statusOfOwnClosing answers the held call's token once it changed; null: no callback of its own. */
    String ownClosing;
    /** The token of the connection whose held call changed the patch, or null. Guarded by this. */
    private String heldToken;
    /** The connections accepted. */
    private final AtomicInteger connections = new AtomicInteger();
    /** The SHA-256 the held loadContent named (the second argument), or null. Guarded by this. */
    private String loadedSha;
    /** When the held loadContent registered fix, as jlivepatch's provenance says it (loadedAt), or null. Guarded by this. */
    private java.time.Instant loadedAt;

    /** Whether a change (loadContent, setEnabled, force) has come. Guarded by this. */
    private boolean changed;
    /** The calls, by method name, in order. Guarded by this. */
    private final List<String> calls = new ArrayList<>();
    private ServerSocketChannel server;

    private static final AtomicInteger SOCKETS = new AtomicInteger();

    /** Serves one command on a socket in {@code dir}, which the command's next connect uses. */
    void start(Path dir) throws IOException {
        Path socket = dir.resolve("agent" + SOCKETS.incrementAndGet() + ".sock"); // one per stand-in
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread t = new Thread(this::serve, "stand-in agent");
        t.setDaemon(true);
        t.start();
        TargetJvm.standInSocketForTests = socket.toString();
    }

    @Override
    public void close() throws IOException {
        if (loadAnswers != null) {
            loadAnswers.countDown();
        }
        TargetJvm.standInSocketForTests = null;
        if (server != null) {
            server.close();
        }
    }

    synchronized List<String> calls() {
        return new ArrayList<>(calls);
    }

    int connections() {
        return connections.get();
    }

    synchronized int statusReads() {
        return Collections.frequency(calls, "statusJson");
    }

    synchronized boolean isRegistered(String patch) {
        return registered.contains(patch);
    }

    synchronized boolean changed() {
        return changed;
    }

    synchronized String loadedSha() {
        return loadedSha;
    }

    synchronized java.time.Instant loadedAt() {
        return loadedAt;
    }

    private void serve() {
        try {
            do {
                SocketChannel c = server.accept();
                connections.incrementAndGet();
                if (loadAnswers == null) {
                    session(c);
                } else { // a load held inside its call: the command's second connection is served meanwhile
                    Thread t = new Thread(() -> session(c), "stand-in session");
                    t.setDaemon(true);
                    t.start();
                }
            } while (loadAnswers != null);
        } catch (IOException ended) {
            // the test closed the server: it is over
        }
    }

    private void session(SocketChannel socket) {
        try (SocketChannel c = socket) {
            DataInputStream in = new DataInputStream(Channels.newInputStream(c));
            DataOutputStream out = new DataOutputStream(Channels.newOutputStream(c));
            in.readInt();
            in.readLong();
            String token = null; // this connection's, once asked for
            out.writeInt(Wire.MAGIC);
            Wire.writeString(out, "stand-in (build " + io.jlivepatch.internal.OwnBuild.stamp() + ")");
            out.flush();
            while (in.readByte() == Wire.CALL) {
                String object = Wire.readString(in);
                String method = Wire.readString(in);
                int n = in.readInt();
                Object[] args = new Object[n];
                for (int i = 0; i < n; i++) {
                    args[i] = Wire.readValue(in, Long.MAX_VALUE);
                }
                if (object.isEmpty() && (method.equals("getSessionToken") || method.equals("statusOfOwnClosing"))) {
                    synchronized (this) {
                        calls.add(method);
                        if (!sessionTokens && sessionCallsFail) { // as ControlSession of b56864a2
                            out.writeByte(Wire.FAILED);
                            Wire.writeString(out, "LivepatchMBean has no operation " + method + " of " + n
                                    + " arguments: the command and the agent are of different jlivepatch versions");
                        } else if (!sessionTokens) { // as ControlSession before them
                            out.writeByte(Wire.REFUSED);
                            Wire.writeString(out, "UNSUPPORTED: LivepatchMBean has no operation " + method + " of " + n
                                    + " arguments: the command and the agent are of different jlivepatch versions");
                        } else if (method.equals("getSessionToken")) {
                            token = "stand-in-token-" + connections.get();
                            out.writeByte(Wire.OK);
                            Wire.writeValue(out, String.class, token);
                        } else {
                            out.writeByte(Wire.OK);
                            Wire.writeValue(out, String.class, changed && heldToken != null
                                    && heldToken.equals(args[1]) ? ownClosing : null);
                        }
                    }
                    out.flush();
                    continue;
                }
                boolean heldSetEnabled;
                synchronized (this) {
                    heldSetEnabled = method.equals("setEnabled") && holdSetEnabled && registered.contains(object);
                }
                if ((method.equals("loadContent") || heldSetEnabled) && loadAnswers != null) {
                    synchronized (this) { // changed inside the call, before its closing callback, as jlivepatch
                        calls.add(method);
                        changed = true;
                        heldToken = token;
                        if (heldSetEnabled) {
                            enabled = (Boolean) args[0];
                        } else {
                            registered.add("fix");
                            enabled = (Boolean) args[3];
                            loadedSha = (String) args[1];
                            loadedAt = java.time.Instant.now();
                        }
                    }
                    try {
                        loadAnswers.await(60, TimeUnit.SECONDS); // bounded: a failed test ends; outside the lock
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    out.writeByte(Wire.OK);
                    if (heldSetEnabled) {
                        Wire.writeValue(out, void.class, null);
                    } else {
                        Wire.writeValue(out, String.class, "fix");
                    }
                    out.flush();
                    continue;
                }
                synchronized (this) { // the test's thread reads the state after the command has ended
                    calls.add(method);
                    if (method.equals(closeAt) && reached(method)) {
                        return; // closes without an answer
                    }
                    if (method.equals(unregisterAt) && reached(method) && (after == null || registered.contains("fix"))) {
                        registered.remove("fix"); // another operation's unload lands here
                        enabled = false;
                    }
                    if (method.equals(refuseAt)) {
                        out.writeByte(Wire.REFUSED);
                        Wire.writeString(out, refusal);
                    } else {
                        answer(object, method, args, out);
                    }
                }
                out.flush();
            }
        } catch (IOException ended) {
            // the command closed the connection: the test is over
        }
    }

    /** Whether the call of {@code method} just made is the one a test point names. */
    private boolean reached(String method) {
        return after == null ? Collections.frequency(calls, method) == occurrence : calls.contains(after);
    }

    private void answer(String object, String method, Object[] args, DataOutputStream out) throws IOException {
        if (!object.isEmpty() && !registered.contains(object)) {
            out.writeByte(Wire.REFUSED); // the agent's words, ControlSession
            Wire.writeString(out, Wire.notRegistered(object) + " (registered: "
                    + (registered.isEmpty() ? "none" : String.join(", ", registered)) + ")");
            return;
        }
        out.writeByte(Wire.OK);
        switch (method) {
            case "getWatchedDirectory" -> Wire.writeValue(out, String.class, "");
            case "statusJson" -> Wire.writeValue(out, String.class, status.apply(this));
            case "loadContent" -> {
                registered.add("fix");
                enabled = (Boolean) args[3];
                changed = true;
                Wire.writeValue(out, String.class, "fix");
            }
            case "getPatches" -> Wire.writeValue(out, String[].class, registered.toArray(new String[0]));
            case "isTransition" -> Wire.writeValue(out, boolean.class, transitionRuns);
            case "isEnabled" -> Wire.writeValue(out, boolean.class, enabled);
            case "setEnabled" -> {
                enabled = (Boolean) args[0];
                changed = true;
                Wire.writeValue(out, void.class, null);
            }
            case "force" -> {
                changed = true;
                Wire.writeValue(out, void.class, null);
            }
            case "unregister" -> {
                registered.remove(object);
                Wire.writeValue(out, void.class, null);
            }
            case "getPendingClasses" -> Wire.writeValue(out, String[].class, new String[0]);
            case "getFunctions" -> Wire.writeValue(out, String[].class, new String[] {functionLine});
            case "getWaiting" -> Wire.writeValue(out, WaitingThread[].class, waiting);
            default -> throw new IOException("the stand-in has no answer to " + method);
        }
    }

    /** What a command printed, and its exit code. */
    record Run(int code, String out, String err) {
    }

    /** Runs the command line {@code args} in this JVM, as the jlivepatch command. */
    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** A patch JAR named fix (class a.Fix, which it does not hold: the stand-in never reads it), in {@code dir}. */
    static Path patchJar(Path dir) throws IOException {
        Path jar = dir.resolve("fix.jar");
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", "fix");
        m.getMainAttributes().putValue("Livepatch-Class", "a.Fix");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m)) {
            out.flush();
        }
        return jar;
    }
}
