package com.acme.tripwire;

import io.jlivepatch.Callbacks;
import io.jlivepatch.Livepatch;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.control.ControlServer;
import io.jlivepatch.internal.control.Wire;
import io.jlivepatch.internal.core.AuditFile;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.Requester;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

/**
 * Main class of a fresh JVM: writes its audit file to {@code args[0]} and ends the JVM with
 * {@code System.exit(3)} in the middle of what {@code args[1]} names; the test reads how the JVM ended
 * and what the file kept.
 *
 * <ul>
 * <li>{@code prePatch}, {@code postPatch}: the callback of that name exits, in the patch's enable;
 * <li>{@code preUnpatch}, {@code postUnpatch}: the same in its disable, after an enable that completed;
 * <li>{@code load-elsewhere}: a load (register and enable in one step) on a thread of its own, whose
 *     prePatch waits for good, while the main thread exits;
 * <li>{@code disable-elsewhere}: the same with a disable's preUnpatch;
 * <li>{@code force-elsewhere}: an enable whose transition waits for a thread inside the patched method,
 *     then a force on a thread of its own, whose postPatch waits for good, while the main thread exits;
 * <li>{@code enable-waits}: the main thread exits after an enable whose transition waits for such a thread;
 * <li>{@code unload-waits}: the same after a disable (an unload's first step) whose transition waits;
 * <li>{@code postPatch-worker}: an enable whose transition waits for a thread inside the patched method,
 *     which then leaves it: the transition worker ends the transition, and its postPatch exits;
 * <li>{@code postUnpatch-worker}: the same with a disable and its postUnpatch;
 * <li>{@code postPatch-worker-no-operation}, {@code postUnpatch-worker-no-operation}: the same two, the worker
 *     finding no memory to make the closing operation of the transition's end
 *     (PatchRegistry.failNextClosingOperationForTests);
 * <li>{@code waits-for-lock}: an enable on a thread of its own, whose prePatch waits for good (holding
 *     jlivepatch's lock), and an unregister on another (requester {@code pid 4343 user bob}) that waits for
 *     that lock, while the main thread exits;
 * <li>{@code load-preparing}: a load of a file on a thread of its own, held by the registry's hook while it
 *     prepares the JAR (before it takes the lock), while the main thread exits;
 * <li>{@code late-prePatch}, {@code late-postPatch}: a patch of {@link Late}, a class not loaded yet, enabled;
 *     then the class is loaded and called: its first call runs the patch's callbacks for it, and the one of
 *     that name exits;
 * <li>{@code receiving}: a command's load (requester {@code pid 4242} and the socket's user) sends half of a
 *     patch JAR of {@link #RECEIVING} bytes over the control socket and nothing more, while the main thread exits;
 * <li>{@code jmx-checking}: a load through the MBean ({@code loadContent} of a JAR {@code sent.jar}, the
 *     content sent whole), held by a hook right after its content's digest, while the main thread exits;
 * <li>{@code jmx-refused}: the same load with a digest that is not its content's, let go by the exit's hook
 *     (after it says the JVM exits, before the audit file's drain), so that it is refused while the JVM exits;
 * <li>{@code load-nested}: a load preparing its JAR, from whose preparation (a hook where a class's initializer
 *     would run) an in-process load of another JAR is asked for and refused; then the hook exits;
 * <li>{@code hand-over}, {@code hand-over-worker}: a transition that ends inside its enable (on the worker, once a
 *     thread inside the patched method leaves it) exits at its end's hand-over of the record
 *     (PatchRegistry.atEndHandOverForTests), after every thread moved and before the end's commit;
 * <li>{@code normal}: register, enable, disable, unregister, and a normal end (status 0).
 * </ul>
 */
public final class ExitingCallbackDriver {

    private ExitingCallbackDriver() {
    }

    /** A thread named {@code holder} that calls the patched method waits inside it until {@link #release}. */
    private static final CountDownLatch HOLDING = new CountDownLatch(1);
    private static volatile boolean released;
    private static volatile Thread holderThread;
    /** A callback that waits for good (the {@code -elsewhere} scenarios) has begun. */
    private static final CountDownLatch WAITING_CALLBACK = new CountDownLatch(1);

    /** The patched method. */
    public static String greet() {
        holdIfHolder();
        return "hello";
    }

    /** A target class loaded only when a {@code late-} scenario asks for it by name, after the patch's enable. */
    public static final class Late {
        private Late() {
        }

        public static String greet() {
            return "late";
        }
    }

    /** Its replacement. */
    public static String fixedGreet() {
        holdIfHolder();
        return "fixed";
    }

    private static void holdIfHolder() {
        if (Thread.currentThread().getName().equals("holder")) {
            HOLDING.countDown();
            while (!released) {
                LockSupport.park();
            }
        }
    }

    /** Lets the holder leave the method it waits in: the transition waiting for it can end. */
    private static void release() {
        released = true;
        LockSupport.unpark(holderThread);
    }

    public static void main(String[] args) throws Exception {
        if (args[1].equals("jmx-refused")) {
            // Before the audit file's: the exit's hook closes in this order, so this runs before the drain.
            io.jlivepatch.internal.ClosedAtExit.add(ExitingCallbackDriver::refusedAtExit);
        }
        AuditFile.configure(Path.of(args[0]));
        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        String when = args[1];
        Patch patch = Patch.builder("exiting").replace(ExitingCallbackDriver.class.getMethod("greet"),
                ExitingCallbackDriver.class.getMethod("fixedGreet")).callbacks(ExitingCallbackDriver.class.getName(),
                new Callbacks() {
                    @Override
                    public void prePatch(Class<?> target) {
                        act(when, "prePatch", "load-elsewhere", "waits-for-lock");
                    }

                    @Override
                    public void postPatch(Class<?> target) {
                        act(when, "postPatch", "force-elsewhere");
                    }

                    @Override
                    public void preUnpatch(Class<?> target) {
                        act(when, "preUnpatch", "disable-elsewhere");
                    }

                    @Override
                    public void postUnpatch(Class<?> target) {
                        act(when, "postUnpatch");
                    }
                }).build();
        if (when.equals("receiving")) {
            receiving();
        }
        if (when.equals("jmx-checking") || when.equals("jmx-refused")) {
            jmxChecking(when.equals("jmx-refused"));
        }
        if (when.startsWith("late-")) {
            late(when, lp);
        }
        if (when.equals("load-preparing")) {
            Path jar = Path.of(args[0]).resolveSibling("fix-preparing.jar");
            Files.write(jar, new byte[] {'P', 'K'}); // never read further: the hook holds the load before
            PatchRegistry.holdPreparationForTests(() -> {
                WAITING_CALLBACK.countDown();
                while (true) {
                    LockSupport.park();
                }
            });
            elsewhere("pid 4242 user alice", () -> PatchRegistry.installed().load(jar));
            WAITING_CALLBACK.await();
            System.exit(3);
        }
        if (when.equals("load-nested")) {
            Path jar = Path.of(args[0]).resolveSibling("fix-outer.jar");
            Files.write(jar, new byte[] {'P', 'K'}); // never read further: the hook exits before
            PatchRegistry.holdPreparationForTests(() -> {
                try {
                    PatchRegistry.installed().load(io.jlivepatch.internal.jar.PatchJarBytes.of("inner.jar",
                            new byte[] {'P', 'K', 5, 6}, io.jlivepatch.internal.jar.JarLimits.current()), false, false);
                    System.out.println("RESULT the inner load was not refused");
                } catch (io.jlivepatch.PatchException refused) {
                    // its own line: a JAR that is not one
                }
                System.exit(3);
            });
            PatchRegistry.installed().load(jar);
            System.out.println("RESULT not exited");
        }
        if (when.equals("load-elsewhere")) {
            // The command's load (register and enable as one step), as the control socket runs it.
            elsewhere("pid 4242 user alice", () -> PatchRegistry.installed().registerAndEnable(patch));
            WAITING_CALLBACK.await();
            System.exit(3);
        }
        PatchHandle h = lp.register(patch);
        System.out.println("registered");
        // The register's line is in the file before the enable starts (the writer is a thread of its own).
        Path audit = Path.of(args[0]);
        for (int i = 0; i < 2000 && (!Files.exists(audit) || Files.size(audit) == 0); i++) {
            Thread.sleep(10);
        }
        if (when.equals("waits-for-lock")) {
            elsewhere("pid 4242 user alice", h::enable);
            WAITING_CALLBACK.await();
            Thread waiting = elsewhere("pid 4343 user bob", h::unregister);
            awaitWaitingForTheLock(waiting);
            System.exit(3);
        }
        boolean noOperation = when.endsWith("-worker-no-operation");
        if (when.equals("postPatch-worker") || when.equals("postPatch-worker-no-operation")) {
            holder();
            h.enable();
            if (h.awaitTransition(Duration.ofMillis(1)) || !h.inTransition()) {
                throw new AssertionError("the transition ended with a thread inside the patched method");
            }
            if (noOperation) {
                PatchRegistry.failNextClosingOperationForTests(new OutOfMemoryError("injected"));
            }
            release(); // the worker ends the transition now, and its postPatch exits
            h.awaitTransition(Duration.ofSeconds(20));
            throw new AssertionError("the transition's postPatch on the worker did not end the JVM");
        }
        if (when.equals("hand-over")) { // the transition ends inside the enable, which exits at its hand-over
            PatchRegistry.atEndHandOverForTests(() -> System.exit(3));
            h.enable();
            throw new AssertionError("the transition's end inside the enable did not end the JVM");
        }
        if (when.equals("hand-over-worker")) {
            holder();
            h.enable();
            if (h.awaitTransition(Duration.ofMillis(1)) || !h.inTransition()) {
                throw new AssertionError("the transition ended with a thread inside the patched method");
            }
            PatchRegistry.atEndHandOverForTests(() -> System.exit(3));
            release(); // the worker ends the transition now, and exits at its hand-over
            h.awaitTransition(Duration.ofSeconds(20));
            throw new AssertionError("the transition's end on the worker did not end the JVM");
        }
        if (when.equals("enable-waits") || when.equals("force-elsewhere")) {
            holder();
            h.enable();
            if (h.awaitTransition(Duration.ofMillis(1)) || !h.inTransition()) {
                throw new AssertionError("the transition ended with a thread inside the patched method");
            }
            if (when.equals("force-elsewhere")) {
                elsewhere("pid 4242 user alice", h::forceTransition);
                WAITING_CALLBACK.await();
            }
            System.exit(3);
        }
        h.enable();
        if (!h.awaitTransition(Duration.ofSeconds(20))) {
            throw new AssertionError("the enable's transition did not end");
        }
        if (when.equals("postUnpatch-worker") || when.equals("postUnpatch-worker-no-operation")) {
            holder(); // inside the replacement now: the disable's transition waits for it
            h.disable();
            if (h.awaitTransition(Duration.ofMillis(1)) || !h.inTransition()) {
                throw new AssertionError("the transition ended with a thread inside the replacement");
            }
            if (noOperation) {
                PatchRegistry.failNextClosingOperationForTests(new OutOfMemoryError("injected"));
            }
            release();
            h.awaitTransition(Duration.ofSeconds(20));
            throw new AssertionError("the transition's postUnpatch on the worker did not end the JVM");
        }
        if (when.equals("unload-waits")) {
            holder(); // inside the replacement now: the disable's transition waits for it
            h.disable();
            System.exit(3);
        }
        if (when.equals("disable-elsewhere")) {
            elsewhere("pid 4242 user alice", h::disable);
            WAITING_CALLBACK.await();
            System.exit(3);
        }
        h.disable();
        if (!h.awaitTransition(Duration.ofSeconds(20))) {
            throw new AssertionError("the disable's transition did not end");
        }
        h.unregister();
        System.out.println("RESULT " + (when.equals("normal") ? "ok" : "not exited") + ": " + greet());
    }

    /** The length of the patch JAR the {@code receiving} scenario announces. */
    public static final int RECEIVING = 100_000;

    /**
     * The {@code receiving} scenario: speaks to this JVM's control socket as {@code jlivepatch load} does, and
     * exits once the session has taken room for the JAR it announced (it is under way from its announcement),
     * half of it sent.
     */
    private static void receiving() throws Exception {
        String path = null;
        for (int i = 0; i < 6000 && (path = System.getProperty(io.jlivepatch.control.LocalChannel.PROPERTY)) == null;
             i++) {
            Thread.sleep(10); // a hang detector: the socket opens from a thread of jlivepatch's own
        }
        java.nio.channels.SocketChannel s = java.nio.channels.SocketChannel.open(
                java.net.StandardProtocolFamily.UNIX);
        s.connect(java.net.UnixDomainSocketAddress.of(path));
        java.io.DataOutputStream out = new java.io.DataOutputStream(java.nio.channels.Channels.newOutputStream(s));
        java.io.DataInputStream in = new java.io.DataInputStream(java.nio.channels.Channels.newInputStream(s));
        out.writeInt(Wire.MAGIC);
        out.writeLong(4242);
        out.flush();
        if (in.readInt() != Wire.MAGIC) {
            throw new AssertionError("no hello from the control socket");
        }
        Wire.readString(in); // the agent's version
        out.writeByte(Wire.CALL);
        Wire.writeString(out, "");
        Wire.writeString(out, "loadContent");
        out.writeInt(5);
        out.writeByte('B');
        out.writeInt(RECEIVING);
        out.write(new byte[RECEIVING / 2]); // and nothing more
        out.flush();
        while (ControlServer.jarBytesHeldForTests() != RECEIVING) {
            Thread.sleep(1); // a hang detector: the session has read the announced length and taken the room
        }
        System.exit(3);
    }

    /** Lets the {@code jmx-refused} load go once the JVM exits; set by the exit's hook. */
    private static volatile boolean letGo;
    /** The {@code jmx-refused} load's call has returned (refused). */
    private static final CountDownLatch ANSWERED = new CountDownLatch(1);

    /**
     * The {@code jmx-refused} scenario's close at the exit (ClosedAtExit's hook, which says the JVM exits
     * first): lets the held load go on, to its refusal, and waits for its answer before the drain.
     */
    private static void refusedAtExit() throws InterruptedException {
        letGo = true;
        Thread held = jmxClient;
        if (held != null) {
            LockSupport.unpark(held);
        }
        if (!ANSWERED.await(30, java.util.concurrent.TimeUnit.SECONDS)) { // a hang detector
            System.out.println("RESULT the load was not answered");
        }
    }

    private static volatile Thread jmxClient;

    /** The {@code jmx-checking} and {@code jmx-refused} scenarios. */
    private static void jmxChecking(boolean refused) throws Exception {
        javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
        javax.management.ObjectName livepatch = new javax.management.ObjectName(
                io.jlivepatch.control.ObjectNames.LIVEPATCH);
        for (int i = 0; i < 6000 && !server.isRegistered(livepatch); i++) {
            Thread.sleep(10); // a hang detector: the MBeans are registered once the MBean server is up
        }
        io.jlivepatch.internal.jar.PatchJarBytes.afterDigestForTests(() -> {
            WAITING_CALLBACK.countDown();
            while (!letGo) {
                LockSupport.park();
            }
        });
        byte[] jar = {'P', 'K', 3, 4}; // never read further: the hook holds the load before
        String digest = refused ? "0".repeat(64) : java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(jar));
        Thread t = new Thread(() -> {
            try {
                server.invoke(livepatch, "loadContent", new Object[] {jar, digest, "sent.jar", true, false},
                        new String[] {byte[].class.getName(), String.class.getName(), String.class.getName(),
                                boolean.class.getName(), boolean.class.getName()});
            } catch (Exception e) {
                if (!refused) {
                    e.printStackTrace();
                }
            } finally {
                ANSWERED.countDown();
            }
        }, "jmx-client");
        t.setDaemon(true);
        jmxClient = t;
        t.start();
        WAITING_CALLBACK.await();
        System.exit(3);
    }

    /**
     * The {@code late-} scenarios: a patch of {@link Late} (loaded in no class loader yet) with callbacks for
     * it, registered and enabled (its transition ends at once); then the class is loaded (its definition on
     * record) and its first call runs the callbacks, the one the scenario names exiting.
     */
    private static void late(String when, Livepatch lp) throws Exception {
        String late = ExitingCallbackDriver.class.getName() + "$Late";
        PatchHandle h = lp.register(Patch.builder("exiting").replace(late, "greet", "()Ljava/lang/String;",
                ExitingCallbackDriver.class.getMethod("fixedGreet")).callbacks(late, new Callbacks() {
                    @Override
                    public void prePatch(Class<?> target) {
                        act(when, "late-prePatch");
                    }

                    @Override
                    public void postPatch(Class<?> target) {
                        act(when, "late-postPatch");
                    }
                }).build());
        h.enable();
        if (!h.awaitTransition(Duration.ofSeconds(20))) {
            throw new AssertionError("the enable's transition did not end");
        }
        Class<?> defined = Class.forName(late);
        // Its definition's line (hooked as it was defined) is written by jlivepatch's thread: waited for, so that
        // the records are the same whichever thread runs first. A hang detector, not a timing.
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (io.jlivepatch.internal.core.PatchRegistry.installed().audit().entries().stream()
                .noneMatch(e -> e.operation().equals("link") && e.outcome().endsWith("hooked as it was defined)"))) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("the late class's definition was never on record");
            }
            Thread.sleep(5);
        }
        Object result = defined.getMethod("greet").invoke(null); // its first call: the callbacks
        throw new AssertionError("the late class's callback did not end the JVM: " + result);
    }

    /**
     * Callback {@code callback} in scenario {@code when}: exits in its own scenario (and its {@code -worker} one),
     * waits for good in {@code waits}.
     */
    private static void act(String when, String callback, String... waits) {
        if (when.equals(callback) || when.equals(callback + "-worker") || when.equals(callback + "-worker-no-operation")) {
            System.exit(3);
        }
        if (java.util.Arrays.asList(waits).contains(when)) {
            WAITING_CALLBACK.countDown();
            while (true) {
                LockSupport.park();
            }
        }
    }

    @FunctionalInterface
    private interface Call {
        void run() throws Exception;
    }

    /**
     * Runs {@code call} on a thread of its own, which the exit ends wherever it is, as a command's
     * (requester {@code requester}) would: the exit's line names it, not the exiting thread.
     */
    private static Thread elsewhere(String requester, Call call) {
        Thread t = new Thread(() -> {
            Requester.enter(requester);
            try {
                call.run();
            } catch (Exception e) {
                e.printStackTrace();
            }
        }, "operator");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Returns once {@code t} is parked in the registry's wait for its lock (a command's wait, bounded by
     * 10 s, is a timed one). A hang detector's bound only: the exit that follows decides nothing by time.
     */
    private static void awaitWaitingForTheLock(Thread t) throws InterruptedException {
        for (int i = 0; i < 20_000; i++) {
            if (t.getState() == Thread.State.TIMED_WAITING && java.util.Arrays.stream(t.getStackTrace()).anyMatch(
                    f -> f.getClassName().equals(PatchRegistry.class.getName()) && f.getMethodName().equals("lock"))) {
                return;
            }
            Thread.sleep(1);
        }
        throw new AssertionError("the unregister never waited for jlivepatch's lock");
    }

    /** Starts the thread that calls the patched method and stays inside it; returns once it is there. */
    private static void holder() throws InterruptedException {
        Thread t = new Thread(ExitingCallbackDriver::greet, "holder");
        holderThread = t;
        t.setDaemon(true);
        t.start();
        HOLDING.await();
    }
}
