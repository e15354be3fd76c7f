package io.jlivepatch;

import io.jlivepatch.control.ObjectNames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import transapp.Codec;
import transapp.Gate;

import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The consistency model: per-thread transitions, reversal, force, BUSY. */
class TransitionTest {

    private static final String OLD = "old-enc(old-dec(x))";
    private static final String NEW = "new-enc(new-dec(x))";

    public static String encode(String s) {
        return "new-enc(" + Codec.decode(s) + ")";
    }

    public static String decode(String s) {
        return "new-dec(" + s + ")";
    }

    public static String decode2(String s) {
        return "v2-dec(" + s + ")";
    }

    /**
     * How long a test waits for what must happen (a held thread's end, a transition's): a bound, not a
     * timing, so far above the slowest run seen (1-1.5 s on a loaded CI machine) that only a real hang
     * reaches it.
     */
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final long WAIT_MS = WAIT.toMillis();

    private final List<Thread> started = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        io.jlivepatch.internal.core.PatchRegistry.failAfterNextCommitForTests(null);
        for (Thread t : started) {
            Gate.release(t);
            t.join(WAIT_MS);
        }
        for (PatchHandle h : TestSupport.livepatch().patches()) {
            h.awaitTransition(Duration.ofSeconds(5));
        }
        TestSupport.removeAllPatches();
        for (PatchHandle h : TestSupport.livepatch().patches()) {
            h.awaitTransition(Duration.ofSeconds(5));
        }
    }

    private static Patch codecPatch(String name) throws NoSuchMethodException {
        return Patch.builder(name)
                .replace(Codec.class.getMethod("encode", String.class), TransitionTest.class.getMethod("encode", String.class))
                .replace(Codec.class.getMethod("decode", String.class), TransitionTest.class.getMethod("decode", String.class))
                .build();
    }

    /** Starts a thread that calls encode("x") once, held inside the old encode until released. */
    private Thread heldInEncode(AtomicReference<String> result) throws InterruptedException {
        Thread t = new Thread(() -> result.set(Codec.encode("x")), "held-in-encode");
        Gate.arm(t);
        started.add(t);
        t.start();
        Gate.awaitEntered(t);
        return t;
    }

    /** Held here by the thread {@link #heldInNewEncode} names, until released. */
    private static final Map<Thread, CountDownLatch> NEW_ENCODE_HOLDS = new ConcurrentHashMap<>();
    private static final Map<Thread, CountDownLatch> NEW_ENCODE_ENTERED = new ConcurrentHashMap<>();

    /** encode's replacement that can hold a chosen thread inside it. */
    public static String encodeHolding(String s) throws InterruptedException {
        CountDownLatch hold = NEW_ENCODE_HOLDS.get(Thread.currentThread());
        if (hold != null) {
            NEW_ENCODE_ENTERED.get(Thread.currentThread()).countDown();
            hold.await();
        }
        return encode(s);
    }

    @Test
    void aFunctionStillRunForThreadsAnUnpatchingTransitionHasNotMovedShowsPatched() throws Exception {
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("tr-unpatching")
                .replace(Codec.class.getMethod("encode", String.class),
                        TransitionTest.class.getMethod("encodeHolding", String.class))
                .replace(Codec.class.getMethod("decode", String.class), TransitionTest.class.getMethod("decode", String.class))
                .build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        AtomicReference<String> held = new AtomicReference<>();
        Thread t = new Thread(() -> held.set(Codec.encode("x")), "held-in-new-encode");
        CountDownLatch release = new CountDownLatch(1);
        NEW_ENCODE_HOLDS.put(t, release);
        NEW_ENCODE_ENTERED.put(t, new CountDownLatch(1));
        t.start();
        try {
            assertTrue(NEW_ENCODE_ENTERED.get(t).await(10, java.util.concurrent.TimeUnit.SECONDS));
            h.disable();
            assertTrue(h.inTransition(), "a thread is inside the new encode");
            String functions = h.functions().toString();
            assertTrue(functions.contains("state=PATCHED") && functions.contains("unpatching: still runs for the threads"),
                    "status must not say 'not patched' while the replacement still runs: " + functions);
        } finally {
            release.countDown();
            t.join(WAIT_MS);
            NEW_ENCODE_HOLDS.remove(t);
            NEW_ENCODE_ENTERED.remove(t);
        }
        assertEquals(NEW, held.get());
        assertTrue(h.awaitTransition(WAIT));
        assertFalse(h.functions().toString().contains("state=PATCHED"), h.functions().toString());
    }

    @Test
    void aFunctionNotYetRunForThreadsAPatchingTransitionHasNotMovedSaysSo() throws Exception {
        AtomicReference<String> held = new AtomicReference<>();
        Thread a = heldInEncode(held);
        PatchHandle h = TestSupport.livepatch().register(codecPatch("tr-patching"));
        h.enable();
        assertTrue(h.inTransition(), "a thread sits in the old encode");
        String functions = h.functions().toString();
        // 'patched' alone read as if every thread ran the replacement, while the held one runs the old code
        assertTrue(functions.contains("state=PATCHED") && functions.contains("patching: the threads the transition"
                + " has not moved yet still run the version below"), functions);
        Gate.release(a);
        a.join(WAIT_MS);
        assertTrue(h.awaitTransition(WAIT));
        assertFalse(h.functions().toString().contains("patching:"), h.functions().toString());
    }

    @Test
    void unregisteringADisabledPatchWhoseTransitionRunsSaysToWaitNotToDisable() throws Exception {
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("tr-unregister-unpatching")
                .replace(Codec.class.getMethod("encode", String.class),
                        TransitionTest.class.getMethod("encodeHolding", String.class))
                .replace(Codec.class.getMethod("decode", String.class), TransitionTest.class.getMethod("decode", String.class))
                .build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        Thread t = new Thread(() -> Codec.encode("x"), "held-in-new-encode");
        CountDownLatch release = new CountDownLatch(1);
        NEW_ENCODE_HOLDS.put(t, release);
        NEW_ENCODE_ENTERED.put(t, new CountDownLatch(1));
        t.start();
        try {
            assertTrue(NEW_ENCODE_ENTERED.get(t).await(10, java.util.concurrent.TimeUnit.SECONDS));
            h.disable();
            assertTrue(h.inTransition(), "a thread is inside the new encode");
            PatchException e = assertThrows(PatchException.class, h::unregister);
            assertEquals(PatchException.Reason.ILLEGAL_STATE, e.reason());
            // it is disabled already: "disable it" sent the operator to a command refused as "not enabled"
            assertFalse(e.getMessage().contains("disable it"), e.getMessage());
            assertTrue(e.getMessage().contains("unpatching transition is still running"), e.getMessage());
            assertTrue(e.getMessage().endsWith("; in code, PatchHandle.awaitTransition and forceTransition)"),
                    e.getMessage()); // what an API user has for 'jlivepatch status' and 'jlivepatch force'
        } finally {
            release.countDown();
            t.join(WAIT_MS);
            NEW_ENCODE_HOLDS.remove(t);
            NEW_ENCODE_ENTERED.remove(t);
        }
        assertTrue(h.awaitTransition(WAIT));
        h.unregister();
    }

    @Test
    void aThreadInsideAnOldMethodKeepsTheOldVersionsUntilItLeaves() throws Exception {
        AtomicReference<String> held = new AtomicReference<>();
        Thread a = heldInEncode(held);
        PatchHandle h = TestSupport.livepatch().register(codecPatch("tr-basic"));
        h.enable();

        assertTrue(h.isEnabled());
        assertTrue(h.inTransition(), "a thread sits in the old encode");
        assertFalse(h.awaitTransition(Duration.ofMillis(50)));
        assertEquals(NEW, Codec.encode("x"), "other threads switch at once");
        String status = status();
        assertTrue(status.contains("in transition") && status.contains("held-in-encode")
                && status.contains("transapp.Codec.encode"), status);

        Gate.release(a);
        a.join(WAIT_MS);
        assertEquals(OLD, held.get(), "the held thread ran the old decode from inside the old encode");
        assertTrue(h.awaitTransition(WAIT), "the transition ends once the thread has left");
        assertFalse(h.inTransition());
        assertEquals(NEW, Codec.encode("x"));
    }

    @Test
    void threadsStartedDuringTheTransitionStartInTheTargetStateAndEndedOnesAreForgotten() throws Exception {
        AtomicReference<String> held = new AtomicReference<>();
        Thread a = heldInEncode(held);
        AtomicReference<String> endsEarly = new AtomicReference<>();
        Thread d = heldInEncode(endsEarly);
        PatchHandle h = TestSupport.livepatch().register(codecPatch("tr-new-threads"));
        h.enable();
        assertTrue(h.inTransition());

        AtomicReference<String> late = new AtomicReference<>();
        Thread c = new Thread(() -> late.set(Codec.encode("x")));
        c.start();
        c.join(WAIT_MS);
        assertEquals(NEW, late.get());

        Gate.release(d);
        d.join(WAIT_MS);
        assertEquals(OLD, endsEarly.get());
        assertTrue(h.inTransition(), "a is still inside the old encode");
        Gate.release(a);
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(OLD, held.get());
    }

    @Test
    void askingThePatchInTransitionForTheOppositeStateReversesIt() throws Exception {
        AtomicReference<String> held = new AtomicReference<>();
        Thread a = heldInEncode(held);
        PatchHandle h = TestSupport.livepatch().register(codecPatch("tr-reverse"));
        h.enable();
        assertTrue(h.inTransition());
        assertEquals(NEW, Codec.encode("x"));

        h.disable(); // reverses: the held thread never switched, so it is already done
        assertFalse(h.isEnabled());
        assertTrue(h.awaitTransition(WAIT), "only threads that had switched had to come back");
        assertEquals(OLD, Codec.encode("x"));
        Gate.release(a);
        a.join(WAIT_MS);
        assertEquals(OLD, held.get());
        assertTrue(logContains("tr-reverse", "enable") && TestSupport.livepatch().find("tr-reverse").isPresent());
    }

    @Test
    void forceEndsATransitionAtOnceAndMarksThePatch() throws Exception {
        AtomicReference<String> held = new AtomicReference<>();
        Thread a = heldInEncode(held);
        PatchHandle h = TestSupport.livepatch().register(codecPatch("tr-force"));
        PatchException notYet = assertThrows(PatchException.class, h::forceTransition);
        assertEquals(PatchException.Reason.ILLEGAL_STATE, notYet.reason());
        h.enable();
        assertTrue(h.inTransition());
        h.forceTransition();
        assertFalse(h.inTransition());
        assertTrue(h.awaitTransition(Duration.ZERO));
        assertTrue(status().contains("tr-force [enabled, forced]"), status());
        PatchException again = assertThrows(PatchException.class, h::forceTransition);
        assertEquals(PatchException.Reason.ILLEGAL_STATE, again.reason());
        Gate.release(a);
        a.join(WAIT_MS);
        // Forcing gives up consistency for threads still inside old code, as in the kernel.
        assertEquals("old-enc(new-dec(x))", held.get());

        // Unregistered, it stays in status: a thread inside its code when it was forced may run it still.
        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        h.unregister();
        String after = status();
        assertTrue(after.contains("\n  forced, then unregistered (threads inside them when forced may still run their"
                + " code):\n") && after.contains("\n     tr-force: unregistered 20"), after);
        String json = (String) ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName(ObjectNames.LIVEPATCH),
                "statusJson", null, null);
        assertTrue(json.contains("\"forcedAndUnregistered\":[") && json.contains("{\"name\":\"tr-force\",\"sha256\":\"\","
                + "\"source\":\"\",\"unregisteredAt\":\"20") && json.contains("\"how\":\"unregistered\"}"), json);
    }

    /**
     * Out of memory right after an enable's commit (injected where the operation's own first attempt
     * would come): the enable stands, says so, and its undo (postUnpatch) never runs; the transition,
     * committed, is handed to the worker all the same (the hand-over was made before the commit and
     * allocates nothing), which completes it once the held thread leaves. Before: the enable was
     * refused (OUT_OF_MEMORY, "nothing was changed") with the patch enabled and in transition.
     */
    @Test
    void outOfMemoryRightAfterAnEnablesCommitLeavesItEnabledAndTheWorkerCompletesIt() throws Exception {
        List<String> callbacks = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicReference<String> held = new AtomicReference<>();
        Thread a = heldInEncode(held);
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("tr-oom-commit")
                .replace(Codec.class.getMethod("encode", String.class), TransitionTest.class.getMethod("encode", String.class))
                .replace(Codec.class.getMethod("decode", String.class), TransitionTest.class.getMethod("decode", String.class))
                .callbacks(Codec.class.getName(), recording(callbacks))
                .build());
        io.jlivepatch.internal.core.PatchRegistry.failAfterNextCommitForTests(
                new OutOfMemoryError("injected: right after the commit"));
        h.enable(); // no refusal: the commit took effect
        assertTrue(h.isEnabled());
        assertTrue(h.inTransition(), "a thread sits in the old encode");
        assertEquals(NEW, Codec.encode("x"));
        assertEquals(List.of("prePatch"), callbacks, "no undo after the commit");

        Gate.release(a);
        a.join(WAIT_MS);
        assertEquals(OLD, held.get());
        assertTrue(h.awaitTransition(WAIT), "the worker completes the committed transition");
        assertEquals(List.of("prePatch", "postPatch"), callbacks);
    }

    /**
     * The same right after a reversal's commit: the disable stands (the patch is disabled), and the
     * reversed transition, which no thread holds, is completed by the worker from the new hand-over
     * (the operation's own attempt never came). Before: the disable was refused with the patch
     * disabled and its transition reversed.
     */
    @Test
    void outOfMemoryRightAfterAReversalsCommitLeavesItReversedAndTheWorkerCompletesIt() throws Exception {
        AtomicReference<String> held = new AtomicReference<>();
        Thread a = heldInEncode(held);
        PatchHandle h = TestSupport.livepatch().register(codecPatch("tr-oom-reverse"));
        h.enable();
        assertTrue(h.inTransition());
        io.jlivepatch.internal.core.PatchRegistry.failAfterNextCommitForTests(
                new OutOfMemoryError("injected: right after the reversal's commit"));
        h.disable(); // reverses; no refusal
        assertFalse(h.isEnabled());
        assertTrue(h.awaitTransition(WAIT), "the worker completes the reversed transition");
        assertEquals(OLD, Codec.encode("x"));
        Gate.release(a);
        a.join(WAIT_MS);
        assertEquals(OLD, held.get());
    }

    /**
     * The same right after a force's commit (every thread moved): the force stands and says so, and
     * the transition's end, which the injected error skipped, is made by the worker. Before: the force
     * was refused ("nothing was changed") with every thread moved and the patch marked forced.
     */
    @Test
    void outOfMemoryRightAfterAForcesCommitLeavesItForcedAndTheWorkerEndsIt() throws Exception {
        AtomicReference<String> held = new AtomicReference<>();
        Thread a = heldInEncode(held);
        PatchHandle h = TestSupport.livepatch().register(codecPatch("tr-oom-force"));
        h.enable();
        assertTrue(h.inTransition());
        io.jlivepatch.internal.core.PatchRegistry.failAfterNextCommitForTests(
                new OutOfMemoryError("injected: right after the force's commit"));
        h.forceTransition(); // no refusal
        assertTrue(h.awaitTransition(WAIT), "the worker ends the forced transition");
        assertTrue(status().contains("tr-oom-force [enabled, forced]"), status());
        Gate.release(a);
        a.join(WAIT_MS);
        assertEquals("old-enc(new-dec(x))", held.get(), "the held thread was moved by the force");
    }

    /** Callbacks that record their names, in order. */
    private static Callbacks recording(List<String> into) {
        return new Callbacks() {
            @Override
            public void prePatch(Class<?> target) {
                into.add("prePatch");
            }

            @Override
            public void postPatch(Class<?> target) {
                into.add("postPatch");
            }

            @Override
            public void preUnpatch(Class<?> target) {
                into.add("preUnpatch");
            }

            @Override
            public void postUnpatch(Class<?> target) {
                into.add("postUnpatch");
            }
        };
    }

    @Test
    void enablingOrDisablingAnotherPatchDuringATransitionIsBusy() throws Exception {
        PatchHandle first = TestSupport.livepatch().register(Patch.builder("tr-first")
                .replace(Codec.class.getMethod("decode", String.class), TransitionTest.class.getMethod("decode2", String.class))
                .build());
        first.enable();
        assertTrue(first.awaitTransition(WAIT));
        AtomicReference<String> held = new AtomicReference<>();
        Thread a = heldInEncode(held);
        PatchHandle second = TestSupport.livepatch().register(codecPatch("tr-second"));
        PatchHandle third = TestSupport.livepatch().register(codecPatch("tr-third"));
        second.enable();
        assertTrue(second.inTransition());

        PatchException busy = assertThrows(PatchException.class, third::enable);
        assertEquals(PatchException.Reason.BUSY, busy.reason());
        assertTrue(busy.getMessage().contains("tr-second"), busy.getMessage());
        assertFalse(third.isEnabled());
        PatchException order = assertThrows(PatchException.class, first::disable);
        assertEquals(PatchException.Reason.BUSY, order.reason());
        PatchException unregister = assertThrows(PatchException.class, second::unregister);
        assertEquals(PatchException.Reason.ILLEGAL_STATE, unregister.reason());

        Gate.release(a);
        a.join(WAIT_MS);
        assertEquals("old-enc(v2-dec(x))", held.get(), "the held thread ran the previous patch's decode");
        assertTrue(second.awaitTransition(WAIT));
        third.enable();
        assertTrue(third.awaitTransition(WAIT));
    }

    @Test
    void manyThreadsThroughManyTransitionsNeverSeeAMixOfOldAndNew() throws Exception {
        PatchHandle h = TestSupport.livepatch().register(codecPatch("tr-load"));
        int threads = 4;
        AtomicInteger mixed = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger calls = new AtomicInteger();
        Set<String> seen = ConcurrentHashMap.newKeySet();
        CountDownLatch stop = new CountDownLatch(1);
        List<Thread> callers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> {
                while (stop.getCount() > 0) {
                    try {
                        String r = Codec.encode("x");
                        seen.add(r);
                        calls.incrementAndGet();
                        if (!r.equals(OLD) && !r.equals(NEW)) {
                            mixed.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failed.incrementAndGet();
                    }
                }
            }, "caller-" + i);
            t.setDaemon(true);
            callers.add(t);
            t.start();
        }
        try {
            for (int i = 0; i < 40; i++) {
                h.enable();
                assertTrue(h.awaitTransition(Duration.ofSeconds(10)), "enable transition " + i);
                h.disable();
                assertTrue(h.awaitTransition(Duration.ofSeconds(10)), "disable transition " + i);
            }
        } finally {
            stop.countDown();
            for (Thread t : callers) {
                t.join(WAIT_MS);
            }
        }
        assertEquals(0, failed.get(), "calls that threw");
        assertEquals(0, mixed.get(), "calls that mixed old and new: " + seen);
        assertTrue(calls.get() > 0);
    }

    @Test
    void virtualThreadsThatPassAHookInsideAnOldMethodKeepTheOldVersions() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21+");
        AtomicReference<String> platformHeld = new AtomicReference<>();
        Thread a = heldInEncode(platformHeld); // keeps the transition open
        AtomicReference<String> virtualHeld = new AtomicReference<>();
        Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
        Thread v = (Thread) Class.forName("java.lang.Thread$Builder").getMethod("unstarted", Runnable.class)
                .invoke(builder, (Runnable) () -> virtualHeld.set(Codec.encode("x")));
        Gate.arm(v);
        started.add(v);
        v.start();
        Gate.awaitEntered(v);

        PatchHandle h = TestSupport.livepatch().register(codecPatch("tr-virtual"));
        h.enable();
        assertTrue(h.inTransition());
        assertEquals(NEW, Codec.encode("x"));
        Gate.release(v);
        v.join(WAIT_MS);
        assertEquals(OLD, virtualHeld.get(), "a virtual thread inside the old encode ran the old decode");
        Gate.release(a);
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(OLD, platformHeld.get());
    }

    /** A virtual thread named {@code name}, held inside the old encode until released. */
    private Thread virtualHeldInEncode(String name, AtomicReference<String> result) throws Exception {
        Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
        builder = Class.forName("java.lang.Thread$Builder").getMethod("name", String.class).invoke(builder, name);
        Thread v = (Thread) Class.forName("java.lang.Thread$Builder").getMethod("unstarted", Runnable.class)
                .invoke(builder, (Runnable) () -> result.set(Codec.encode("x")));
        Gate.arm(v);
        started.add(v);
        v.start();
        Gate.awaitEntered(v);
        return v;
    }

    @Test
    void aVirtualThreadInsideAnOldMethodThatPassesNoHookHoldsTheTransitionUntilItLeaves() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21+");
        AtomicReference<String> virtualHeld = new AtomicReference<>();
        Thread v = virtualHeldInEncode("held-virtual", virtualHeld); // parked: no platform thread shows it

        PatchHandle h = TestSupport.livepatch().register(codecPatch("tr-virtual-unseen"));
        h.enable();
        assertTrue(h.inTransition(), "a virtual thread sits in the old encode");
        assertFalse(h.awaitTransition(Duration.ofMillis(100)), "the transition waits for it");
        assertEquals(NEW, Codec.encode("x"), "other threads switch at once");
        String status = status();
        assertTrue(status.contains("held-virtual") && status.contains("transapp.Codec.encode"), status);

        Gate.release(v);
        v.join(WAIT_MS);
        assertEquals(OLD, virtualHeld.get(), "the virtual thread ran the old decode from inside the old encode");
        assertTrue(h.awaitTransition(WAIT), "the transition ends once it has left");
        assertEquals(NEW, Codec.encode("x"));
    }

    /**
     * An enable asked by an interrupted thread (an application's request thread that was interrupted):
     * the JDK's thread dump the first attempt writes and reads on that thread fails for the interrupt
     * (ClosedByInterruptException), which is no reason to end the transition unchecked: the virtual
     * thread inside the old encode holds it as it holds any other's, and the interrupt is the caller's.
     */
    @Test
    void anEnableFromAnInterruptedThreadStillWaitsForAVirtualThreadInsideAnOldMethod() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21+");
        AtomicReference<String> virtualHeld = new AtomicReference<>();
        Thread v = virtualHeldInEncode("held-virtual-interrupted", virtualHeld);
        PatchHandle h = TestSupport.livepatch().register(codecPatch("tr-virtual-interrupted"));

        Thread.currentThread().interrupt();
        boolean interrupted;
        try {
            h.enable();
        } finally {
            interrupted = Thread.interrupted();
        }

        assertTrue(interrupted, "the caller's interrupt status is kept");
        assertTrue(h.inTransition(), "a virtual thread sits in the old encode");
        assertFalse(h.awaitTransition(Duration.ofMillis(100)), "the transition waits for it");
        assertEquals(NEW, Codec.encode("x"), "other threads switch at once");
        Gate.release(v);
        v.join(WAIT_MS);
        assertEquals(OLD, virtualHeld.get(), "the virtual thread ran the old decode from inside the old encode");
        assertTrue(h.awaitTransition(WAIT), "the transition ends once it has left");
        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(OLD, Codec.encode("x"));
        h.unregister();
    }

    @Test
    void aReversedTransitionDoesNotWaitForVirtualThreadsItNeverMet() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21+");
        AtomicReference<String> virtualHeld = new AtomicReference<>();
        Thread v = virtualHeldInEncode("held-virtual-reversed", virtualHeld);
        PatchHandle h = TestSupport.livepatch().register(codecPatch("tr-virtual-reversed"));
        h.enable();
        assertTrue(h.inTransition());

        h.disable(); // back to where the virtual thread is: it never had to move
        assertTrue(h.awaitTransition(WAIT));
        Gate.release(v);
        v.join(WAIT_MS);
        assertEquals(OLD, virtualHeld.get());
    }

    @Test
    void withoutAThreadDumpTheTransitionEndsAsBeforeTheVirtualThreadCheck() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() >= 21, "virtual threads need JDK 21+");
        AtomicReference<String> virtualHeld = new AtomicReference<>();
        Thread v = virtualHeldInEncode("held-virtual-unchecked", virtualHeld);
        String tmp = System.getProperty("java.io.tmpdir");
        // jlivepatch's private directory (where the dump is written) cannot be made under a file
        java.nio.file.Path notADirectory = java.nio.file.Files.createTempFile("not-a-dir", ".tmp");
        System.setProperty("java.io.tmpdir", notADirectory.toString());
        try {
            PatchHandle h = TestSupport.livepatch().register(codecPatch("tr-virtual-unchecked"));
            h.enable();
            assertTrue(h.awaitTransition(WAIT), "the documented limit: the transition ends");
        } finally {
            System.setProperty("java.io.tmpdir", tmp);
            java.nio.file.Files.deleteIfExists(notADirectory);
        }
        Gate.release(v);
        v.join(WAIT_MS);
        assertEquals("old-enc(new-dec(x))", virtualHeld.get(), "what README's known limit says");
    }

    /**
     * Asking a patch in transition for the state it is going to is refused BUSY, saying to wait or
     * force, and changes nothing: its transition goes on, the held thread keeps its version.
     */
    @Test
    void enablingAPatchBeingEnabledIsBusyAndItsTransitionGoesOn() throws Exception {
        AtomicReference<String> held = new AtomicReference<>();
        Thread a = heldInEncode(held);
        PatchHandle h = TestSupport.livepatch().register(codecPatch("tr-enable-again"));
        h.enable();
        assertTrue(h.inTransition(), "a thread sits in the old encode");
        List<String> logged = List.of(auditLog());

        PatchException again = assertThrows(PatchException.class, h::enable);
        assertEquals(PatchException.Reason.BUSY, again.reason());
        assertEquals("tr-enable-again", again.patchName());
        assertEquals("cannot enable patch 'tr-enable-again': it is being enabled already, its transition still"
                + " running: wait for it to complete (awaitTransition, 'jlivepatch status'), or force it",
                again.getMessage());
        assertRefusalOnRecord(logged, "enable", "tr-enable-again", "BUSY");
        PatchException unregister = assertThrows(PatchException.class, h::unregister);
        assertEquals(PatchException.Reason.ILLEGAL_STATE, unregister.reason());
        assertEquals("patch 'tr-enable-again' is in its patching transition: wait for it to end (or force it),"
                + " disable it, then unregister it", unregister.getMessage());

        assertTrue(h.isRegistered() && h.isEnabled() && h.inTransition(), "its transition goes on");
        assertEquals(List.of("tr-enable-again"), TestSupport.livepatch().patches().stream().map(PatchHandle::name)
                .toList());
        Gate.release(a);
        a.join(WAIT_MS);
        assertEquals(OLD, held.get(), "the held thread finished in the version it started in");
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(NEW, Codec.encode("x"));
    }

    @Test
    void disablingAPatchBeingDisabledIsBusyAndItsTransitionGoesOn() throws Exception {
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("tr-disable-again")
                .replace(Codec.class.getMethod("encode", String.class),
                        TransitionTest.class.getMethod("encodeHolding", String.class))
                .replace(Codec.class.getMethod("decode", String.class), TransitionTest.class.getMethod("decode", String.class))
                .build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        AtomicReference<String> held = new AtomicReference<>();
        Thread t = new Thread(() -> held.set(Codec.encode("x")), "held-in-new-encode");
        CountDownLatch release = new CountDownLatch(1);
        NEW_ENCODE_HOLDS.put(t, release);
        NEW_ENCODE_ENTERED.put(t, new CountDownLatch(1));
        t.start();
        try {
            assertTrue(NEW_ENCODE_ENTERED.get(t).await(10, java.util.concurrent.TimeUnit.SECONDS));
            h.disable();
            assertTrue(h.inTransition(), "a thread is inside the new encode");
            List<String> logged = List.of(auditLog());

            PatchException again = assertThrows(PatchException.class, h::disable);
            assertEquals(PatchException.Reason.BUSY, again.reason());
            assertEquals("cannot disable patch 'tr-disable-again': it is being disabled already, its transition"
                    + " still running: wait for it to complete (awaitTransition, 'jlivepatch status'), or force it",
                    again.getMessage());
            assertRefusalOnRecord(logged, "disable", "tr-disable-again", "BUSY");
            assertTrue(h.isRegistered() && !h.isEnabled() && h.inTransition(), "its transition goes on");
        } finally {
            release.countDown();
            t.join(WAIT_MS);
            NEW_ENCODE_HOLDS.remove(t);
            NEW_ENCODE_ENTERED.remove(t);
        }
        assertEquals(NEW, held.get(), "the held thread finished in the version it started in");
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(OLD, Codec.encode("x"));
        h.unregister();
    }

    private static String[] auditLog() throws Exception {
        status();
        return (String[]) ManagementFactory.getPlatformMBeanServer().getAttribute(
                new ObjectName(ObjectNames.LIVEPATCH), "Log");
    }

    /**
     * The refusal is on record: one line the log did not hold before, with its operation, patch and
     * reason. Not a count of lines: in a JVM that has run many tests the log is at its bound, and a
     * new record pushes out the oldest of its kind.
     */
    private static void assertRefusalOnRecord(List<String> before, String operation, String patch, String reason)
            throws Exception {
        List<String> added = new ArrayList<>(List.of(auditLog()));
        added.removeAll(before);
        List<String> ofIt = added.stream().filter(l -> l.contains(" " + operation + " " + patch + " by ")).toList();
        assertEquals(1, ofIt.size(), "one new record of the " + operation + " of " + patch + ": " + added);
        assertTrue(ofIt.get(0).contains(": refused " + reason + ": "), ofIt.get(0));
    }

    private static String status() throws Exception {
        ObjectName name = new ObjectName(ObjectNames.LIVEPATCH);
        // The MBeans are registered from a background thread at install: wait for them.
        for (int i = 0; i < 500 && !ManagementFactory.getPlatformMBeanServer().isRegistered(name); i++) {
            Thread.sleep(10);
        }
        return (String) ManagementFactory.getPlatformMBeanServer().invoke(name, "statusText", null, null);
    }

    private static boolean logContains(String patch, String operation) throws Exception {
        status();
        String[] log = (String[]) ManagementFactory.getPlatformMBeanServer().getAttribute(
                new ObjectName(ObjectNames.LIVEPATCH), "Log");
        for (String line : log) {
            if (line.contains(operation + " " + patch)) {
                return true;
            }
        }
        return false;
    }
}
