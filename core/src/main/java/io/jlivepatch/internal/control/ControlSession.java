package io.jlivepatch.internal.control;

import io.jlivepatch.PatchHandle;
import io.jlivepatch.control.LivepatchMBean;
import io.jlivepatch.control.PatchMBean;
import io.jlivepatch.internal.ClosedAtExit;
import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.Requester;
import io.jlivepatch.internal.jar.JarLimits;
import io.jlivepatch.internal.patch.RecursionGuard;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One connection of the command: a hello, then calls of the published MBean interfaces on the
 * Livepatch object or one patch's, each answered before the next is read. Every call runs as the
 * requester the connection names: the pid the command states and the OS user the kernel reports for
 * the socket's peer.
 */
final class ControlSession implements Runnable {

    /** {@link #waiting} while a call's work runs: the session is not idle, whatever the time. */
    private static final long RUNNING = Long.MIN_VALUE;
    /** {@link #waiting} once {@link #evictIfIdle} took the session: it runs no further call. */
    private static final long EVICTED = Long.MIN_VALUE + 1;

    private final PatchRegistry registry;
    /** The command's connection: closed by whichever thread ends the session, released by its own. */
    private final SessionChannel client;
    private final Semaphore sessions;
    private final Set<ControlSession> live;
    private final LivepatchControl livepatch;
    /** This connection's {@link SessionCalls}; its thread's, but for {@link #ownsToken}. */
    private final SessionQueries queries;
    /**
     * Set (by another session's thread, SessionQueries) once the command's look was told that its call's closing
     * callback is its own: the command then exits 3 and does not read the call's answer, so the connection's end
     * when the answer is written is no failure. Read by this session's thread when its connection ends; cleared by
     * it when the command sends a next call after all.
     */
    private volatile boolean leftOnPurpose;
    /** What this session's last change call did, as answered ("its enable of 'fix' was done"); its thread only. */
    private String callDone;
    /**
     * Since when ({@link System#nanoTime}) the session has waited for its client to send the hello or
     * its next call, or {@link #RUNNING}, or {@link #EVICTED}. Moved by compare-and-set only, by the
     * session's thread (to a time, to RUNNING) and by the server's accept thread (to EVICTED, from a
     * time): the two never both win, so a call either runs whole or not at all.
     */
    private final AtomicLong waiting = new AtomicLong(System.nanoTime());
    /**
     * Whether the session is reading a call: from its first byte until its last value is in. Written
     * by the session's thread, read by the server's stall watch ({@link #closeIfStalled}); volatile,
     * and written before the watch is asked for (pairs with the watch's read after it clears its own
     * flag, ControlServer.watchStalls).
     */
    private volatile boolean receiving;
    /**
     * When ({@link System#nanoTime}) the last bytes from the client arrived. Written by the session's
     * thread as they arrive ({@link Arrivals}), read by the stall watch: a slow link that keeps
     * sending is never cut, however long a JAR takes.
     */
    private volatile long lastByte = System.nanoTime();
    /**
     * How many bytes have arrived from the client. Written by the session's thread as they arrive
     * ({@link Arrivals}), read by the accept thread for what an eviction says ({@link #whatItDid}).
     */
    private volatile long arrived;
    /**
     * Of the call being received, for {@link #whatItDid}: {@link #arrived} as the session began to
     * wait for it (a command sends a call once the last is answered, so none of it had been read
     * ahead), when its first byte came, and the length of the patch JAR it announced, or -1. Written
     * by the session's thread before it sets {@link #receiving} (the JAR's length after), read by the
     * accept thread after it reads receiving.
     */
    private volatile long arrivedBefore;
    private volatile long callSince;
    private volatile long jarAnnounced = -1;
    /** Asked as each call starts: makes sure a stall watch runs while a call is being received. */
    private final Runnable callStarts;
    /** The room for patch JAR bytes, shared with the server's other sessions. */
    private final ReceivedJarBytes jarBytes;
    /**
     * The room this session's call holds in {@link #jarBytes}, in bytes, or 0. Written by the
     * session's thread only; volatile for the other sessions' threads, which close a holder that has
     * waited for its client too long (ReceivedJarBytes.closeIdleHolders).
     */
    private volatile long jarBytesHeld;
    /**
     * The call being received is a load ({@code loadContent} of the Livepatch object), whose patch JAR makes
     * it an operation under way from its announcement ({@link #announced}) to its end
     * (PatchRegistry.receivingJar). Session's thread only.
     */
    private boolean loadCall;
    /**
     * A load's JAR was announced in this call: it is under way in the registry until {@link #call} ends
     * (PatchRegistry.receivingJar's), or null. Session's thread only.
     */
    private Object loadUnderWay;

    /**
     * @param live       the server's sessions: this one is in it until its thread ends
     * @param callStarts run on the session's thread as each call starts to arrive
     * @param jarBytes   the room for patch JAR bytes that the server's sessions share
     */
    ControlSession(PatchRegistry registry, SocketChannel client, Semaphore sessions, Set<ControlSession> live,
                   Runnable callStarts, ReceivedJarBytes jarBytes) {
        this.registry = registry;
        this.client = new SessionChannel(client);
        this.sessions = sessions;
        this.live = live;
        this.callStarts = callStarts;
        this.jarBytes = jarBytes;
        this.queries = new SessionQueries(registry, live);
        this.livepatch = new LivepatchControl(registry, false); // its arrays are its own (LivepatchControl.copiesContent)
    }

    /** Whether this connection's token ({@link SessionCalls#getSessionToken}) is {@code token}; any thread. */
    boolean ownsToken(String token) {
        return queries.owns(token);
    }

    /** The command was told its call's own closing holds it, and left: see {@link #leftOnPurpose}. */
    void commandLeft() {
        leftOnPurpose = true;
    }

    /** Whether a call is being received: the stall watch has something to watch. */
    boolean receiving() {
        return receiving;
    }

    /** When ({@link System#nanoTime}) the client's last bytes arrived: what the stall watch reads. */
    long lastByte() {
        return lastByte;
    }

    /** The room for patch JAR bytes this session's call holds, or 0. */
    long jarBytesHeld() {
        return jarBytesHeld;
    }

    /**
     * Ends the session if it has received part of a call and then nothing for at least {@code nanos}
     * at {@code now}: a call runs only once it has arrived whole, and a peer that stops in the middle
     * of one would otherwise hold what it sent (up to a patch JAR's size) for as long as it likes.
     * The same compare-and-set as {@link #evictIfIdle}, so a call either runs whole or not at all.
     *
     * @return how many nanoseconds nothing had come, if it was ended here; else -1
     */
    long closeIfStalled(long now, long nanos) {
        long since = waiting.get();
        long quiet = now - lastByte;
        if (!receiving || since == RUNNING || since == EVICTED || quiet < nanos
                || !waiting.compareAndSet(since, EVICTED)) {
            return -1;
        }
        try {
            client.close();
        } catch (IOException ignored) {
            // closed either way
        }
        return quiet;
    }

    /** The client's bytes, noting when each arrives (for {@link #closeIfStalled}). */
    private final class Arrivals extends java.io.FilterInputStream {

        Arrivals(java.io.InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                lastByte = System.nanoTime();
                arrived++; // the session's thread only
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                lastByte = System.nanoTime();
                arrived += n; // the session's thread only
            }
            return n;
        }

        /** Where dropped bytes are read to; the session's thread only. */
        private byte[] dropped;

        /**
         * Drops up to a buffer of a byte array the call does not keep (a JAR over the limit, or one
         * with no room), through {@link #read}: the stream below skips by reading all {@code n} before
         * it returns, which left {@link #lastByte} unchanged however steadily they came, and the stall
         * watch closed a client sending an oversized JAR over a slow link as one that had sent nothing.
         */
        @Override
        public long skip(long n) throws IOException {
            if (n <= 0) {
                return 0;
            }
            if (dropped == null) {
                dropped = new byte[8192];
            }
            int read = read(dropped, 0, (int) Math.min(n, dropped.length));
            return Math.max(read, 0); // 0 at the end: skipNBytes then reads a byte, and finds the end
        }
    }

    /**
     * How long it has waited for its client, in nanoseconds at {@code now}, or -1 while it runs a call
     * or once evicted.
     */
    long idleNanos(long now) {
        long since = waiting.get();
        return since == RUNNING || since == EVICTED ? -1 : now - since;
    }

    /**
     * What the client had done, at {@code now}, for the log of the session's eviction (its place
     * taken for another): a call still arriving is a sender that sends slowly or stopped, not a
     * client that sent nothing. Read before the eviction, whose close makes the thread move on.
     */
    String whatItDid(long now) {
        if (!receiving) {
            return "it had neither sent nor read anything for " + TimeUnit.NANOSECONDS.toMillis(idleNanos(now)) + " ms";
        }
        long jar = jarAnnounced;
        return "it had been sending a call for " + TimeUnit.NANOSECONDS.toMillis(now - callSince) + " ms, "
                + (arrived - arrivedBefore) + " bytes of it so far" + (jar < 0 ? ""
                : " (with a patch JAR of " + jar + " bytes announced)") + "; the call was not run";
    }

    /**
     * The length of the patch JAR the call being received announced (Wire.readArgument): a load's is under
     * way from here, before it takes room for the bytes and while they arrive, so that an exit meanwhile
     * has it on record, nothing changed.
     */
    void announced(long bytes) {
        jarAnnounced = bytes;
        if (loadCall && loadUnderWay == null) {
            loadUnderWay = registry.receivingJar(bytes);
        }
    }

    /** The patch JAR {@link #announced} has arrived whole (Wire.readArgument). */
    void received() {
        registry.receivedJar(loadUnderWay);
    }

    /**
     * Ends the session if it has waited for its client at least {@code nanos} at {@code now}: closes
     * the connection, which ends the thread's blocked read, and the thread gives its place back.
     *
     * @return whether it was ended here
     */
    boolean evictIfIdle(long now, long nanos) {
        long since = waiting.get();
        if (since == RUNNING || since == EVICTED || now - since < nanos || !waiting.compareAndSet(since, EVICTED)) {
            return false;
        }
        try {
            client.close();
        } catch (IOException ignored) {
            // closed either way
        }
        return true;
    }

    /**
     * Marks the start of a reply: the call's work is done, and what is left waits on the client
     * reading, which a client that stopped never does (a write has no timeout): evictable from now,
     * as a wait for the client is. Only this thread moves the word away from RUNNING.
     */
    private void delivering() {
        waiting.set(System.nanoTime());
    }

    /** Marks the start of a wait for the client; false once evicted. */
    private boolean awaitClient() {
        long since = waiting.get();
        return since != EVICTED && waiting.compareAndSet(since, System.nanoTime());
    }

    /** Tells a client over the session limit to come back later, without a thread of its own. */
    static void refuseBusy(SocketChannel client, int max) {
        refuse(client, "BUSY: " + max + " jlivepatch commands are talking to this JVM already: retry");
    }

    /** Turns {@code client} away before a session starts, with {@code message} (its reason first), and closes it. */
    static void refuse(SocketChannel client, String message) {
        try (client) {
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(Wire.MAGIC);
            writeString(out, "");
            out.writeByte(Wire.FAILED);
            writeString(out, message);
            // Written without blocking: an interrupt of the accepting thread (application code that
            // interrupts every thread) closed a blocking channel at this write, and the command heard
            // nothing. A new connection's socket buffer takes these few hundred bytes whole; what it does
            // not take now is a peer that does not read, and is dropped with it.
            client.configureBlocking(false);
            java.nio.ByteBuffer reply = java.nio.ByteBuffer.wrap(bytes.toByteArray());
            while (reply.hasRemaining() && client.write(reply) > 0) {
                // until all is written or the buffer is full
            }
        } catch (IOException ignored) {
            // the client went away
        }
    }

    @Override
    public void run() {
        // jlivepatch's own thread: never runs a replacement. Only if jlivepatch is active already: a
        // command that only looks (list, status) must not set up the hooks' machinery in a JVM that has
        // no patch (the dispatch classes and the recursion guard loaded and initialized, their method
        // handles made: a cold JVM's milliseconds, for a look). Before that, its stretch is counted, and
        // the activation a load over this session (or any other thread) makes marks this thread until
        // the session ends (RecursionGuard.enterIfActive, as JMX's reads and the server's own threads
        // do). FootprintIT.lookingAtAJvmOverTheControlSocketInstallsNoHooks.
        int mark = RecursionGuard.enterIfActive();
        String before = null;
        boolean entered = false;
        try {
            // Its thread waits in a select, in native code, which would hold the JVM's exit for 0.3 s;
            // inside the try, so that the finally gives the place and the mark back whatever happens.
            if (!ClosedAtExit.add(client)) {
                return; // accepted as the JVM exits: closed at once
            }
            client.open(); // no interrupt of this thread closes the connection from here on
            DataInputStream in = new DataInputStream(new BufferedInputStream(new Arrivals(client.in())));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(client.out()));
            if (in.readInt() != Wire.MAGIC) {
                return; // not the command: nothing to say to it
            }
            long pid = in.readLong();
            before = Requester.enter("pid " + pid + " user " + peerUser());
            entered = true;
            out.writeInt(Wire.MAGIC);
            writeString(out, livepatch.getVersion());
            out.flush();
            while (awaitClient()) {
                arrivedBefore = arrived;
                byte kind;
                try {
                    kind = in.readByte();
                } catch (EOFException done) {
                    return;
                }
                // A command that sends again did not leave (its look's answer lost, say): whatever ends its
                // connection from here is what it is, a WARNING where it fails (leftOnPurpose is set only while
                // this thread runs the call its look asked about, and its command sends nothing while it looks).
                leftOnPurpose = false;
                if (kind != Wire.CALL) {
                    throw notACall(out, kind);
                }
                lastByte = System.nanoTime(); // its first byte may have come with the last call's
                callSince = lastByte;
                jarAnnounced = -1;
                receiving = true;
                callStarts.run();
                call(in, out);
                out.flush();
            }
        } catch (IOException | RuntimeException | LinkageError e) {
            // An eviction is logged where it is decided; a close at the JVM's exit is no failure. A
            // client that closes between calls ends above, unlogged; one that closed before its hello
            // had asked nothing (a probe, a command that gave up): said at DEBUG only. One that ended
            // in the middle of a call, or failed otherwise, is a warning.
            if (waiting.get() != EVICTED && !ClosedAtExit.exiting() && leftOnPurpose && e instanceof IOException) {
                // not alarming: the command's look found its own closing callback holding the call, and it exited 3;
                // only the socket's end is that (a RuntimeException or LinkageError here is jlivepatch's own
                // failure, whoever left: the WARNING below)
                Log.get().log(System.Logger.Level.INFO, "a jlivepatch command left before its call's answer, as it"
                        + " does once its own closing callback holds the call (exit 3): "
                        + (callDone != null ? callDone : "its call had not been answered") + "; the answer was not"
                        + " read (" + Text.clean(String.valueOf(e)) + ")");
            } else if (waiting.get() != EVICTED && !ClosedAtExit.exiting()) {
                boolean beforeHello = !entered && e instanceof EOFException;
                Log.get().log(beforeHello ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING,
                        (beforeHello ? "a connection to the jlivepatch control socket closed before a command's hello: "
                                : "a jlivepatch command's connection ended: ")
                                + Text.clean(String.valueOf(e)));
            }
        } catch (OutOfMemoryError e) {
            // the connection is gone with the memory; the application goes on
        } finally {
            try {
                if (entered) {
                    Requester.restore(before);
                }
                Requester.unmarkSession(); // the thread is the session's own, but no mark outlives it
                ClosedAtExit.remove(client);
                client.release(); // system calls: should one fail (no memory), the place is still given back
            } finally {
                live.remove(this);
                sessions.release(); // pairs with tryAcquire in ControlServer.run
                RecursionGuard.exit(mark);
            }
        }
    }

    /**
     * Reads one call, runs it, writes its reply (flushed by the caller); whatever room for a patch
     * JAR it took is given back before the reply is flushed, which a client that stopped reading
     * would otherwise hold.
     */
    private void call(DataInputStream in, DataOutputStream out) throws IOException {
        boolean answered = false;
        try {
            receiveAndRun(in, out);
            answered = true;
        } catch (Wire.BadCall bad) {
            answered = true; // refused, on record (badCall)
            throw bad;
        } finally {
            loadCall = false;
            Object load = loadUnderWay;
            if (load != null) {
                loadUnderWay = null;
                registry.receivingEnded(load, answered);
            }
            long held = jarBytesHeld;
            if (held > 0) {
                jarBytesHeld = 0;
                jarBytes.give(held);
            }
        }
    }

    /** Takes room for a patch JAR of {@code bytes} for this call (Wire.readArgument); whether there was. */
    boolean takeJarRoom(long bytes) {
        long limit = JarLimits.current().maxJarBytes();
        if (!jarBytes.take(this, bytes, limit, PatchRegistry.lockWait())) {
            return false;
        }
        jarBytesHeld = bytes;
        return true;
    }

    private void receiveAndRun(DataInputStream in, DataOutputStream out) throws IOException {
        Wire.CallBudget budget = new Wire.CallBudget(JarLimits.current().maxJarBytes(), this);
        String object = "";
        String method = null;
        Object[] args;
        try {
            object = Wire.readName(in, budget, "object");
            method = Wire.readName(in, budget, "method");
            loadCall = object.isEmpty() && method.equals("loadContent");
            int n = in.readInt();
            if (n < 0 || n > Wire.MAX_ARGUMENTS) {
                throw new Wire.BadCall("a call with " + n + " arguments: no operation takes more than "
                        + Wire.MAX_ARGUMENTS);
            }
            args = new Object[n];
            for (int i = 0; i < n; i++) {
                args[i] = Wire.readArgument(in, budget);
            }
        } catch (Wire.BadCall bad) {
            badCall(out, object, method, bad);
            throw bad; // the rest of this call cannot be told from a next one: the connection ends
        }
        receiving = false;
        int n = args.length;
        long since = waiting.get();
        if (since == EVICTED || !waiting.compareAndSet(since, RUNNING)) {
            // evicted or stalled meanwhile: not run
            throw new IOException("closed by the server before the call ran");
        }
        Object target;
        Class<?> type;
        if (object.isEmpty()) {
            target = livepatch;
            type = LivepatchMBean.class;
        } else {
            Optional<PatchHandle> p = registry.find(object);
            if (p.isEmpty()) {
                delivering();
                String refusal = Wire.notRegistered(object) + " (registered: " + registered() + ")";
                String why = refusal.substring("ILLEGAL_STATE: ".length());
                onRecord(method, args, object, "ILLEGAL_STATE", why);
                refuse(out, refusal);
                return;
            }
            target = new PatchControl(registry, p.get());
            type = PatchMBean.class;
        }
        for (Object arg : args) {
            if (arg instanceof Wire.Dropped) {
                delivering();
                boolean crowded = !((Wire.Dropped) arg).oversized();
                long bytes = ((Wire.Dropped) arg).bytes();
                if (!object.isEmpty() || !method.equals("loadContent")) {
                    // Only loadContent takes bytes: any other call was no load, and is not put on record as
                    // one (a read is not put on record at all).
                    String why = "an argument of " + bytes + " bytes to " + method + ", which takes no patch JAR";
                    onRecord(method, args, object, "UNSUPPORTED", why);
                    refuse(out, "UNSUPPORTED: " + why);
                    return;
                }
                // a JAR over the size limit, refused as a load would refuse it; or one with no room now
                Object source = n > 2 ? args[2] : null;
                String subject = source instanceof String ? (String) source : "";
                refuse(out, (crowded ? livepatch.crowded(subject, bytes) : livepatch.oversized(subject, bytes))
                        .getMessage());
                return;
            }
        }
        if (object.isEmpty() && find(SessionCalls.class, method, n) != null) {
            target = queries; // the command's calls on its own connection, of no MBean
            type = SessionCalls.class;
        }
        Method m = find(type, method, n);
        if (m == null) {
            // refused, not failed: nothing ran, which the command must be able to say (exit 1)
            delivering();
            String why = type.getSimpleName() + " has no operation " + method + " of " + n + " arguments: the"
                    + " command and the agent are of different jlivepatch versions";
            onRecord(method, args, object, "UNSUPPORTED", why);
            refuse(out, "UNSUPPORTED: " + why);
            return;
        }
        Object result;
        try {
            result = m.invoke(target, args);
        } catch (InvocationTargetException e) {
            delivering();
            Throwable cause = e.getCause();
            if (cause instanceof IllegalStateException || cause instanceof IllegalArgumentException) {
                callDone = done(object, method, args, "was refused: " + cause.getMessage());
                refuse(out, String.valueOf(cause.getMessage()));
            } else {
                out.writeByte(Wire.FAILED);
                writeString(out, String.valueOf(cause));
            }
            return;
        } catch (IllegalAccessException | IllegalArgumentException e) {
            // Arguments of the wrong types: the reflection's own message says nothing useful (null
            // for a null where a primitive goes), so say what the operation takes and what came.
            delivering();
            String why = type.getSimpleName() + "." + method + " takes " + types(m.getParameterTypes()) + ", not "
                    + kinds(args) + ": nothing was run; the command and the agent are of different jlivepatch"
                    + " versions, or the peer is not the jlivepatch command";
            onRecord(method, args, object, "UNSUPPORTED", why);
            refuse(out, "UNSUPPORTED: " + why); // not run, as above
            return;
        }
        delivering();
        callDone = done(object, method, args, result instanceof String && "loadContent".equals(method)
                ? "was done (registered '" + result + "')" : "was done");
        out.writeByte(Wire.OK);
        Wire.writeValue(out, m.getReturnType(), result);
    }

    /** {@code its enable of 'fix' <what>} for a change call, for {@link #leftOnPurpose}'s line; null for a read. */
    private static String done(String object, String method, Object[] args, String what) {
        if (Operations.reads(method)) {
            return null;
        }
        String operation = Operations.of(method, args);
        return "its " + (operation != null ? operation : method) + (object.isEmpty() ? "" : " of '" + object + "'")
                + " " + what;
    }

    /**
     * Answers a call that is none of the interfaces' with a refusal (nothing ran), and audits it as
     * {@link #onRecord} does when its method would change something. The connection ends after it.
     */
    private void badCall(DataOutputStream out, String object, String method, Wire.BadCall bad) {
        String why = bad.getMessage() + "; refused, nothing was run, and the connection is closed: the command"
                + " and the agent are of different jlivepatch versions, or the peer is not the jlivepatch command";
        if (method != null) {
            onRecord(method, new Object[0], object, "UNSUPPORTED", why);
        }
        try {
            refuse(out, "UNSUPPORTED: " + why);
            out.flush();
        } catch (IOException gone) {
            // the client went away or is still sending: the log has why
        }
    }

    /**
     * Answers a message after the hello whose kind is not a call's with a refusal, and returns what
     * ends the connection (logged as a call refused before it ran is): what follows it cannot be
     * read. It was closed without a word, and a peer that spoke the protocol (a newer command) was
     * never told what was wrong (HostileWireTest). Nothing is on record: no operation was named.
     */
    private static Wire.BadCall notACall(DataOutputStream out, byte kind) {
        String why = "a message of kind " + (kind & 0xff) + " after the hello, where a call (kind " + Wire.CALL
                + ") goes";
        try {
            refuse(out, "UNSUPPORTED: " + why + ": nothing was run, and the connection is closed: the command and"
                    + " the agent are of different jlivepatch versions, or the peer is not the jlivepatch command");
            out.flush();
        } catch (IOException gone) {
            // the client went away or is still sending: the log has why
        }
        return new Wire.BadCall(why);
    }

    /**
     * Audits (and logs) a refusal of a call that would have changed something, made here before any
     * operation ran: every refused change is on record, as the registry's own refusals are. Reads
     * (get, is, status) are not operations and are not recorded.
     */
    private void onRecord(String method, Object[] args, String object, String reason, String why) {
        if (Operations.reads(method)) {
            return;
        }
        // The operation's name is the agent's own word, never the client's text (which goes in the
        // outcome, after the requester the socket vouches for).
        String operation = Operations.of(method, args);
        if (operation == null) {
            operation = "call";
        }
        try {
            io.jlivepatch.internal.Log.get().log(System.Logger.Level.WARNING, operation + " refused ("
                    + reason + "): " + why, (Throwable) null);
            registry.audit(operation, object.isEmpty() ? "(jlivepatch)" : object, "refused " + reason + ": " + why);
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // the refusal stands and is answered; only its record is missing
        }
    }

    private String registered() {
        List<String> names = new ArrayList<>();
        for (PatchHandle h : registry.patches()) {
            names.add(h.name());
        }
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    /** {@code (String, long, long)}. */
    private static String types(Class<?>[] types) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < types.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(types[i].getSimpleName());
        }
        return sb.append(')').toString();
    }

    /** What a call's arguments are, as {@link #types} says a parameter: {@code (String, null, Boolean)}. */
    private static String kinds(Object[] args) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < args.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(args[i] == null ? "null" : args[i].getClass().getSimpleName());
        }
        return sb.append(')').toString();
    }

    private static Method find(Class<?> type, String name, int arguments) {
        for (Method m : type.getMethods()) {
            if (m.getName().equals(name) && m.getParameterCount() == arguments) {
                return m;
            }
        }
        return null;
    }

    private static void refuse(DataOutputStream out, String message) throws IOException {
        out.writeByte(Wire.REFUSED);
        writeString(out, message);
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        Wire.writeString(out, s);
    }

    /**
     * The requester's user where this JVM cannot read it: jdk.net, which asks the kernel, is not in an
     * application started with -m unless it requires it, and the audit said a bare "unknown" (walked by hand).
     */
    static final String NO_JDK_NET = "unknown (this JVM lacks module jdk.net, which reads it; start it with"
            + " --add-modules jdk.net)";

    /** The OS user of the process at the other end, as the kernel reports it. */
    private String peerUser() {
        if (ModuleLayer.boot().findModule("jdk.net").isEmpty()) {
            return NO_JDK_NET;
        }
        try {
            return client.channel().getOption(jdk.net.ExtendedSocketOptions.SO_PEERCRED).user().getName();
        } catch (IOException | UnsupportedOperationException | LinkageError e) {
            return "unknown";
        }
    }
}
