package io.jlivepatch;

import holdapp.Caller;
import holdapp.Codec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import testapp.Shape;
import testapp.Stacked;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code hold}: a method the patch does not replace keeps a thread in its state while it is on the
 * thread's stack, so that {@code e = encode(x); d = decode(e)} in unpatched code runs in one version.
 */
class HoldTest {

    private static final String ROUND_TRIP = "(Ljava/lang/String;)Ljava/lang/String;";

    public static String encode2(String s) {
        return "v2:" + new StringBuilder(s).reverse();
    }

    public static String decode2(String e) {
        return e.startsWith("v2:") ? new StringBuilder(e.substring(3)).reverse().toString() : null;
    }

    /** Version 1 again, as a patch: see {@link #withTheCallerHeldNoRoundTripMixesVersionsIn300Cycles}. */
    public static String encode1(String s) {
        return "v1:" + s;
    }

    public static String decode1(String e) {
        return e.startsWith("v1:") ? e.substring(3) : null;
    }

    public static int two(Stacked s) {
        return 2;
    }

    private final List<Thread> started = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (Thread t : started) {
            Caller.release(t);
            t.join(5_000);
        }
        for (PatchHandle h : livepatch().patches()) {
            h.awaitTransition(Duration.ofSeconds(5));
        }
        TestSupport.removeAllPatches();
        for (PatchHandle h : livepatch().patches()) {
            h.awaitTransition(Duration.ofSeconds(5));
        }
    }

    private static Patch.Builder codecPatch(String name) {
        return Patch.builder(name)
                .replace(method(Codec.class, "encode", String.class), method(HoldTest.class, "encode2", String.class))
                .replace(method(Codec.class, "decode", String.class), method(HoldTest.class, "decode2", String.class));
    }

    @Test
    void aPatchListsItsHoldsAndAHoldReadsBackFromItsTarget() {
        Patch p = codecPatch("hold-model").hold("holdapp.Caller", "roundTrip", ROUND_TRIP).build();
        assertEquals(List.of(new Patch.Hold("holdapp.Caller", "roundTrip", ROUND_TRIP)), p.holds());
        assertEquals("holdapp.Caller.roundTrip" + ROUND_TRIP, p.holds().get(0).target());
        assertEquals(p.holds().get(0), Patch.Hold.parse(p.holds().get(0).target()));
        assertEquals(p.holds(), codecPatch("hold-model")
                .hold(method(Caller.class, "roundTrip", String.class)).build().holds());
        assertEquals(List.of(), codecPatch("no-holds").build().holds());
    }

    @Test
    void aHeldClassWhoseNameHoldsAParenthesisIsParsedWhole() {
        // A binary name may hold '(' (a generated class p.C(1), legal in the JVM): Livepatch-Hold's
        // descriptor is not what follows the first '('; nor the last, when a class in it has one too.
        Patch.Hold h = new Patch.Hold("p.C(1)", "m", "(I)V");
        assertEquals(h, Patch.Hold.parse("p.C(1).m(I)V"));
        assertEquals(h, Patch.Hold.parse(h.target()));
        Patch.Hold takes = new Patch.Hold("p.D", "m", "(Lp/C(1);)V");
        assertEquals(takes, Patch.Hold.parse("p.D.m(Lp/C(1);)V"));
        Patch.Hold both = new Patch.Hold("p.C(1)", "m", "(Lp/C(1);)Lp/C(1);");
        assertEquals(both, Patch.Hold.parse(both.target()));
        assertRefused("not a JVM method descriptor", () -> Patch.Hold.parse("p.C(1)")); // no method: read as p.C
    }

    @Test
    void aMalformedHoldIsRefusedByTheBuilder() {
        Patch.Builder b = codecPatch("hold-bad");
        assertRefused("not a binary class name", () -> b.hold("holdapp/Caller", "roundTrip", ROUND_TRIP));
        assertRefused("not a binary class name", () -> b.hold("", "roundTrip", ROUND_TRIP));
        assertRefused("not a method name", () -> b.hold("holdapp.Caller", "round.Trip", ROUND_TRIP));
        assertRefused("not a JVM method descriptor", () -> b.hold("holdapp.Caller", "roundTrip", "(String)String"));
        assertRefused("constructors and class initializers cannot be held",
                () -> b.hold("holdapp.Caller", "<init>", "()V"));
        assertRefused("class.method(descriptor)", () -> Patch.Hold.parse("holdapp.Caller"));
        assertRefused("class.method(descriptor)", () -> Patch.Hold.parse("roundTrip(Ljava/lang/String;)V"));
        assertRefused("both replaces and holds", () -> codecPatch("hold-replaced")
                .hold("holdapp.Codec", "encode", ROUND_TRIP).build());
        assertRefused("twice", () -> codecPatch("hold-twice").hold("holdapp.Caller", "roundTrip", ROUND_TRIP)
                .hold("holdapp.Caller", "roundTrip", ROUND_TRIP).build());
    }

    private static void assertRefused(String text, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(text), e.getMessage());
    }

    @Test
    void aHoldOnALoadedClassThatLacksTheMethodIsRefusedAtRegister() {
        Caller.class.getName(); // loaded
        PatchException e = TestSupport.refusedRegistration(codecPatch("hold-missing")
                .hold("holdapp.Caller", "roundTrip", "(I)Ljava/lang/String;").build());
        assertEquals(PatchException.Reason.TARGET_NOT_FOUND, e.reason());
        assertTrue(e.getMessage().contains("held method holdapp.Caller.roundTrip(I)Ljava/lang/String;")
                && e.getMessage().contains(ROUND_TRIP), e.getMessage());

        e = TestSupport.refusedRegistration(codecPatch("hold-abstract")
                .hold(Shape.class.getName(), "area", "()D").build());
        assertEquals(PatchException.Reason.NOT_PATCHABLE, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("abstract"), e.getMessage());

        e = TestSupport.refusedRegistration(codecPatch("hold-self")
                .hold("io.jlivepatch.Livepatch", "get", "()Lio/jlivepatch/Livepatch;").build());
        assertEquals(PatchException.Reason.NOT_PATCHABLE, e.reason(), e.getMessage());
        assertTrue(livepatch().patches().isEmpty());
        assertEquals("x", Caller.roundTrip("x"));
    }

    @Test
    void aHoldOnAClassNotLoadedYetIsAcceptedAndGetsNoHook() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("hold-later")
                .replace(method(Stacked.class, "value"), method(HoldTest.class, "two", Stacked.class))
                .hold("holdapp.NeverLoaded", "run", "()V").build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
        assertEquals(2, new Stacked().value());
        assertEquals(1, h.functions().size(), "a hold is no function of the patch");
    }

    /**
     * The case, step by step: a thread has run encode and stands before decode when the
     * patch goes on. Without a hold it switches there (the kernel's model) and decodes v1 output with
     * v2; with the caller held it keeps v1 for the whole round trip and holds the transition.
     */
    @Test
    void aThreadInsideAHeldMethodKeepsItsVersionUntilItLeaves() throws Exception {
        AtomicReference<String> unheld = new AtomicReference<>("unset");
        Thread a = stoppedBetween(unheld);
        PatchHandle plain = livepatch().register(codecPatch("hold-none").build());
        plain.enable();
        Caller.release(a);
        a.join(10_000);
        assertNull(unheld.get(), "without a hold the thread switches between encode and decode");
        assertTrue(plain.awaitTransition(Duration.ofSeconds(10)));
        plain.disable();
        assertTrue(plain.awaitTransition(Duration.ofSeconds(10)));
        plain.unregister();

        AtomicReference<String> held = new AtomicReference<>("unset");
        Thread b = stoppedBetween(held);
        PatchHandle h = livepatch().register(codecPatch("hold-caller")
                .hold(method(Caller.class, "roundTrip", String.class)).build());
        h.enable();
        assertFalse(h.awaitTransition(Duration.ofMillis(200)), "the held caller holds the transition");
        assertTrue(h.inTransition());
        String waiting = String.join(" ", RegistryAccess.get().waitingThreads(h));
        assertTrue(waiting.contains("holdapp.Caller.roundTrip"), waiting);
        Caller.release(b);
        b.join(10_000);
        assertEquals("x", held.get(), "the held caller ran v1 encode and v1 decode");
        assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
        assertEquals("y", Caller.roundTrip("y"));
        assertEquals("v2:y", Codec.encode("y"));
    }

    private Thread stoppedBetween(AtomicReference<String> result) throws InterruptedException {
        Thread t = new Thread(() -> result.set(Caller.roundTrip("x")), "stopped-between");
        Caller.stopBetween(t);
        started.add(t);
        t.start();
        Caller.awaitBetween(t);
        return t;
    }

    private static final int CALLERS = 3;
    private static final int CYCLES = 300;
    /** Longer than the worker needs for one pass over the threads' stacks, so that it can catch a caller. */
    private static final long PAUSE_NANOS = Long.getLong("pause", 2_000_000);

    /**
     * The test: callers run {@code e = encode(x); d = decode(e)} in a loop while the patch
     * goes on and off 300 times; with the caller held, no pair mixes versions and no call fails.
     * A patch underneath with version 1 as replacements keeps the two methods hooked throughout, so
     * that each cycle costs a relink rather than two retransformations.
     */
    @Test
    void withTheCallerHeldNoRoundTripMixesVersionsIn300Cycles() throws Exception {
        cycles(CYCLES, PAUSE_NANOS);
    }

    private void cycles(int cycles, long pauseNanos) throws Exception {
        PatchHandle base = livepatch().register(Patch.builder("hold-v1")
                .replace(method(Codec.class, "encode", String.class), method(HoldTest.class, "encode1", String.class))
                .replace(method(Codec.class, "decode", String.class), method(HoldTest.class, "decode1", String.class))
                .build());
        base.enable();
        assertTrue(base.awaitTransition(Duration.ofSeconds(20)));
        PatchHandle h = livepatch().register(codecPatch("hold-cycles")
                .hold("holdapp.Caller", "roundTrip", ROUND_TRIP).build());
        AtomicBoolean done = new AtomicBoolean();
        CountDownLatch running = new CountDownLatch(CALLERS);
        AtomicLong mixed = new AtomicLong();
        AtomicLong pairs = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < CALLERS; i++) {
            Thread t = new Thread(() -> {
                running.countDown();
                long n = 0;
                while (!done.get()) {
                    String x = "pair-" + (n++);
                    try {
                        String d = Caller.roundTrip(x);
                        if (d == null) {
                            mixed.incrementAndGet();
                        } else if (!d.equals(x)) {
                            failures.add("roundTrip(" + x + ") returned " + d);
                        }
                    } catch (Throwable e) {
                        failures.add("roundTrip(" + x + ") threw " + e);
                    }
                    // Between round trips the caller waits a little, as a service thread waits for
                    // work: there the worker can see it outside the held method and move it.
                    if (pauseNanos > 0) {
                        LockSupport.parkNanos(pauseNanos);
                    }
                }
                pairs.addAndGet(n);
            }, "hold-caller-" + i);
            t.setDaemon(true);
            started.add(t);
            t.start();
        }
        running.await();
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < cycles; i++) {
                h.enable();
                assertTrue(h.awaitTransition(Duration.ofSeconds(20)), "enable " + i + " did not complete; waiting: "
                        + RegistryAccess.get().waitingThreads(h));
                h.disable();
                assertTrue(h.awaitTransition(Duration.ofSeconds(20)), "disable " + i + " did not complete");
            }
        } finally {
            done.set(true);
            for (Thread t : started) {
                t.join(10_000);
            }
        }
        System.out.printf("HoldTest: %d cycles (pause %d ns) in %d ms, %d round trips, %d mixed%n", cycles, pauseNanos,
                (System.nanoTime() - t0) / 1_000_000, pairs.get(), mixed.get());
        assertEquals(List.of(), new ArrayList<>(failures));
        assertEquals(0, mixed.get(), "round trips that mixed versions");
        assertTrue(pairs.get() > cycles, "the callers ran: " + pairs.get());
        assertEquals("x", Caller.roundTrip("x"));
        assertEquals("v1:x", Codec.encode("x"));
    }
}
