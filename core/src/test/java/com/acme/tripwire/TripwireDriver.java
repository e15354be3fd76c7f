package com.acme.tripwire;

import com.acme.tripwire.fix.TripwireFix;
import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.control.LocalChannel;
import io.jlivepatch.internal.Sha256;
import io.jlivepatch.internal.control.Wire;
import io.jlivepatch.internal.core.AuditFile;
import io.jlivepatch.jar.Jars;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Main class of a fresh JVM: loads {@link TripwireFix} (replacements of JDK methods jlivepatch runs
 * on its own paths that throw wherever jlivepatch runs them) through the control socket, as the
 * command does, with jlivepatch logging at INFO and writing an audit file; then reads the status,
 * disables and enables it through the API, and disables and unloads it through the socket, each
 * call on a connection of its own (so that the accept loop runs each time). Prints
 * {@code RESULT ok} when every operation answered, the application's thread kept working, the
 * audit file has a line for every change and no replacement ran on jlivepatch's behalf;
 * {@code RESULT fail} with the places where one did otherwise.
 */
public final class TripwireDriver {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final AtomicLong WORK = new AtomicLong();
    private static final AtomicReference<Throwable> FAILURE = new AtomicReference<>();
    /** Held strongly: java.util.logging forgets the level of a logger that is collected. */
    private static final Logger LOG = Logger.getLogger("io.jlivepatch");

    private TripwireDriver() {
    }

    public static void main(String[] args) throws Exception {
        try {
            run(args);
        } catch (Throwable t) {
            hits().forEach((k, v) -> System.out.println("a replacement ran on jlivepatch's behalf: " + k + " on " + v));
            throw t;
        }
    }

    private static void run(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("tripwire");
        Path audit = dir.resolve("audit.jsonl");
        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        LOG.setLevel(Level.INFO); // after Jars' class initializer, which quiets it: every step logs
        AuditFile.configure(audit);
        Thread worker = new Thread(TripwireDriver::work, "worker");
        worker.setDaemon(true);
        worker.start();
        awaitProgress();

        Map<String, byte[]> classes = Jars.classes(TripwireFix.class.getName());
        if (args.length > 0) {
            classes.replaceAll((name, bytes) -> only(bytes, List.of(args)));
        }
        Path jar = Jars.write(dir.resolve("tripwire.jar"), Jars.manifest("tripwire", TripwireFix.class.getName()),
                classes);
        byte[] content = Files.readAllBytes(jar);
        List<String> failures = new ArrayList<>();
        // With readInt replaced: a thread of the application waits inside DataInputStream.readInt, so
        // the enable's transition stays open and the transition worker keeps checking stacks.
        java.io.PipedOutputStream release = new java.io.PipedOutputStream();
        Thread reader = null;
        if (args.length == 0 || List.of(args).contains("readInt")) {
            DataInputStream in = new DataInputStream(new java.io.PipedInputStream(release));
            reader = new Thread(() -> {
                try {
                    in.readInt();
                } catch (java.io.IOException e) {
                    FAILURE.compareAndSet(null, e);
                }
            }, "reader");
            reader.setDaemon(true);
            reader.start();
            while (reader.getState() != Thread.State.WAITING && reader.getState() != Thread.State.TIMED_WAITING) {
                Thread.onSpinWait();
            }
        }
        Object loaded = socket(failures, "", "loadContent", new Class<?>[] {byte[].class, String.class, String.class,
                boolean.class, boolean.class}, content, Sha256.hex(content), jar.toString(), true, false);
        check("tripwire".equals(loaded), "the load through the socket answered " + loaded);
        if (reader != null) {
            check(Boolean.TRUE.equals(socket(failures, "tripwire", "isTransition", new Class<?>[0])),
                    "the thread inside readInt holds the transition");
            Object held = socket(failures, "", "statusText", new Class<?>[0]);
            check(String.valueOf(held).contains("reader"), "status names the thread that holds it: " + held);
            release.write(new byte[4]);
            release.flush();
            reader.join(WAIT.toMillis());
        }
        awaitTransitionEnd(failures);
        awaitProgress();
        Object status = socket(failures, "", "statusText", new Class<?>[0]);
        check(String.valueOf(status).contains("tripwire"), "status through the socket answered " + status);

        PatchHandle h = lp.find("tripwire").orElseThrow();
        String functions = inApi(h::functions).toString(); // a record's toString is the application's code
        check(functions.contains("PATCHED"), "functions: " + functions);
        inApi(() -> {
            h.disable();
            return h.awaitTransition(WAIT);
        });
        awaitProgress();
        inApi(() -> {
            h.enable();
            return h.awaitTransition(WAIT);
        });
        inApi(() -> lp.patches().size());
        awaitProgress();
        Object json = socket(failures, "", "statusJson", new Class<?>[0]);
        check(String.valueOf(json).contains("tripwire"), "status --json through the socket answered " + json);

        socket(failures, "tripwire", "setEnabled", new Class<?>[] {boolean.class}, false);
        awaitTransitionEnd(failures);
        socket(failures, "tripwire", "unregister", new Class<?>[0]);
        check(lp.patches().isEmpty(), "the patch is still registered");
        awaitProgress();

        // Again through the API alone: load (read, registered, enabled), disable, unregister.
        PatchHandle again = inApi(() -> lp.load(jar));
        inApi(() -> {
            again.enable();
            return again.awaitTransition(WAIT);
        });
        awaitProgress();
        inApi(() -> {
            again.disable();
            check(again.awaitTransition(WAIT), "the API's disable did not end");
            again.unregister();
            return null;
        });
        check(lp.patches().isEmpty(), "the patch loaded through the API is still registered");
        awaitProgress();

        // Every change is on record in the file: as many lines as the in-memory audit log has.
        String[] log = (String[]) socket(failures, "", "getLog", new Class<?>[0]);
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<String> lines = Files.exists(audit) ? Files.readAllLines(audit) : List.of();
        while (lines.size() < log.length && System.nanoTime() < deadline) {
            Thread.sleep(10);
            lines = Files.exists(audit) ? Files.readAllLines(audit) : List.of();
        }
        if (lines.size() != log.length || log.length < 8) {
            failures.add("the audit file has " + lines.size() + " lines for " + log.length + " records: " + lines
                    + " / " + List.of(log));
        }

        hits().forEach((k, v) -> failures.add("a replacement ran on jlivepatch's behalf: " + k + " on " + v));
        if (FAILURE.get() != null) {
            failures.add("the application's thread failed: " + FAILURE.get());
        }
        if (!failures.isEmpty()) {
            System.out.println("RESULT fail:\n" + String.join("\n", failures));
            System.exit(1);
        }
        System.out.println("RESULT ok work=" + WORK.get() + " audited=" + lines.size());
        System.exit(0);
    }

    /**
     * Where a replacement ran on jlivepatch's behalf: method, then thread and stack; but for the hits
     * the system property {@code tripwire.tolerated} names (comma-separated keys), which the test expects.
     */
    private static Map<String, String> hits() {
        Map<String, String> hits = new TreeMap<>();
        List<String> tolerated = List.of(System.getProperty("tripwire.tolerated", "").split(","));
        System.getProperties().forEach((k, v) -> {
            if (String.valueOf(k).startsWith("tripwire.hit.") && !tolerated.contains(String.valueOf(k))) {
                hits.put(String.valueOf(k), String.valueOf(v));
            }
        });
        return hits;
    }

    /** The patch class without the replacements whose names are not in {@code kept}. */
    private static byte[] only(byte[] classFile, List<String> kept) {
        org.objectweb.asm.ClassWriter w = new org.objectweb.asm.ClassWriter(0);
        new org.objectweb.asm.ClassReader(classFile).accept(new org.objectweb.asm.ClassVisitor(org.objectweb.asm.Opcodes.ASM9, w) {
            @Override
            public org.objectweb.asm.MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                                               String[] exceptions) {
                boolean replacement = (access & org.objectweb.asm.Opcodes.ACC_PUBLIC) != 0;
                return replacement && !kept.contains(name) ? null
                        : super.visitMethod(access, name, descriptor, signature, exceptions);
            }
        }, 0);
        return w.toByteArray();
    }

    /** Runs {@code call} as a call of jlivepatch's API made by this thread (TripwireFix.API). */
    private static <T> T inApi(Callable<T> call) throws Exception {
        System.getProperties().put(TripwireFix.API, Thread.currentThread());
        try {
            return call.call();
        } finally {
            System.getProperties().remove(TripwireFix.API);
        }
    }

    private static void awaitTransitionEnd(List<String> failures) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (Boolean.TRUE.equals(socket(failures, "tripwire", "isTransition", new Class<?>[0]))) {
            check(System.nanoTime() < deadline, "the transition did not end");
            Thread.sleep(10);
        }
    }

    /**
     * One call through the control socket on a connection of its own, as a command makes it; its
     * answer's value, or null (and a failure noted) when it was refused or not answered within
     * {@link #WAIT}.
     */
    private static Object socket(List<String> failures, String object, String method, Class<?>[] types, Object... args)
            throws Exception {
        String path = null;
        for (int i = 0; i < 3000 && (path = System.getProperty(LocalChannel.PROPERTY)) == null; i++) {
            Thread.sleep(10);
        }
        check(path != null, "the control socket is published");
        String where = path;
        AtomicReference<Object> answer = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try (SocketChannel s = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                s.connect(UnixDomainSocketAddress.of(where));
                DataInputStream in = new DataInputStream(Channels.newInputStream(s));
                DataOutputStream out = new DataOutputStream(Channels.newOutputStream(s));
                out.writeInt(Wire.MAGIC);
                out.writeLong(ProcessHandle.current().pid());
                out.flush();
                if (in.readInt() != Wire.MAGIC || Wire.readString(in).isEmpty()) {
                    answer.set(new IllegalStateException("not greeted"));
                    return;
                }
                out.writeByte(Wire.CALL);
                Wire.writeString(out, object);
                Wire.writeString(out, method);
                out.writeInt(args.length);
                for (int i = 0; i < args.length; i++) {
                    Wire.writeValue(out, types[i], args[i]);
                }
                out.flush();
                byte reply = in.readByte();
                answer.set(reply == Wire.OK ? Wire.readValue(in, 0) : new IllegalStateException("answered " + reply
                        + ": " + Wire.readString(in)));
            } catch (Exception e) {
                answer.set(e);
            }
        }, "command " + method);
        caller.setDaemon(true);
        caller.start();
        caller.join(WAIT.toMillis());
        Object a = answer.get();
        if (caller.isAlive()) {
            failures.add(method + " through the socket did not answer within " + WAIT.toSeconds() + " s");
            return null;
        }
        if (a instanceof Exception e) {
            failures.add(method + " through the socket failed: " + e);
            return null;
        }
        return a;
    }

    /** The application's work: the patched JDK methods, each answer checked. */
    private static void work() {
        try {
            for (long n = 0; ; n++) {
                Map<String, Long> m = new HashMap<>();
                List<Long> l = new ArrayList<>();
                for (long k = 0; k < 16; k++) {
                    m.put("k" + k, k * n);
                    l.add(k);
                }
                for (long k = 0; k < 16; k++) {
                    check(m.get("k" + k) == k * n, "HashMap lost a value");
                    check(l.get((int) k) == k, "ArrayList lost a value");
                }
                String s = new StringBuilder().append("a").append(Long.toString(n)).toString();
                check(s.equals("a" + n), "StringBuilder built " + s);
                WORK.incrementAndGet();
                if (n % 1000 == 0) {
                    Thread.sleep(1);
                }
            }
        } catch (Throwable t) {
            FAILURE.compareAndSet(null, t);
        }
    }

    private static void awaitProgress() throws InterruptedException {
        long start = WORK.get();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (WORK.get() < start + 100 && FAILURE.get() == null) {
            check(System.nanoTime() < deadline, "the application's thread made no progress");
            Thread.sleep(1);
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
