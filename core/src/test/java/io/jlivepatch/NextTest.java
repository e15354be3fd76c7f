package io.jlivepatch;

import io.jlivepatch.jar.Jars;
import nextapp.Copied;
import nextapp.Shop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code @Next}: a replacement that calls the version below it (issue 17). */
class NextTest {

    @TempDir
    Path dir;

    // ---- replacements ----

    public static String label(Shop self, String name, @Next MethodHandle next) throws Throwable {
        return "[" + (String) next.invokeExact(self, name.trim()) + "]";
    }

    public static int twice(int x, @Next MethodHandle next) throws Throwable {
        return (int) next.invokeExact(x) + 1;
    }

    /** Typed with a supertype receiver and called with {@code invoke}: the handle adapts. */
    public static String labelLoosely(Object self, String name, @Next MethodHandle next) throws Throwable {
        return "(" + next.invoke(self, name) + ")";
    }

    public static String traceA(Shop self, String path, @Next MethodHandle next) throws Throwable {
        return (String) next.invokeExact(self, path + "A,");
    }

    public static String traceB(Shop self, String path, @Next MethodHandle next) throws Throwable {
        return (String) next.invokeExact(self, path + "B,");
    }

    /** A version that does not call the one below. */
    public static String traceC(Shop self, String path) {
        return path + "C";
    }

    public static String busyA(Shop self, String path, @Next MethodHandle next) throws Throwable {
        return (String) next.invokeExact(self, path + "A,");
    }

    public static String busyB(Shop self, String path, @Next MethodHandle next) throws Throwable {
        return (String) next.invokeExact(self, path + "B,");
    }

    public static int depth(Shop self, int n, @Next MethodHandle next) throws Throwable {
        return 10 + (int) next.invokeExact(self, n);
    }

    public static String nextFirst(Shop self, @Next MethodHandle next, String s) {
        return s;
    }

    public static String nextMistyped(Shop self, String s, @Next Object next) {
        return s;
    }

    public static String notAnnotated(Shop self, String s, MethodHandle next) {
        return s;
    }

    public static String framed(Copied self, String s, @Next MethodHandle next) throws Throwable {
        return "(" + (String) next.invokeExact(self, s) + ")";
    }

    public static String locked(Copied self, String s, @Next MethodHandle next) throws Throwable {
        return "(" + (String) next.invokeExact(self, s) + ")";
    }

    /** Receiver typed as Object: the target is a copy of the class in a loader of its own. */
    public static String isolated(Object self, String s, @Next MethodHandle next) throws Throwable {
        return "(" + (String) next.invokeExact(self, s) + ")";
    }

    public static String superCalled(Copied self, String s, @Next MethodHandle next) throws Throwable {
        return "(" + (String) next.invokeExact(self, s) + ")";
    }

    public static String version(@Next MethodHandle next) throws Throwable {
        return "(" + (String) next.invokeExact() + ")";
    }

    public static String joined(java.util.StringJoiner self, @Next MethodHandle next) {
        return "";
    }

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    private static Method m(Class<?> c, String name, Class<?>... params) {
        return TestSupport.method(c, name, params);
    }

    private static PatchHandle enable(String name, String target, String replacement) throws PatchException {
        return enable(name, m(Shop.class, target, String.class),
                m(NextTest.class, replacement, Shop.class, String.class, MethodHandle.class));
    }

    private static PatchHandle enable(String name, Method target, Method replacement) throws PatchException {
        PatchHandle h = TestSupport.livepatch().register(Patch.builder(name).replace(target, replacement).build());
        h.enable();
        settle(h);
        return h;
    }

    /** Waits for {@code h}'s transition: its callers all move (each call is short), so it ends. */
    private static void settle(PatchHandle h) {
        try {
            assertTrue(h.awaitTransition(Duration.ofMinutes(2)), () -> h.name() + " stays in transition");
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aReplacementWrapsTheOriginalCode() throws Exception {
        Shop s = new Shop();
        enable("next-label", "label", "label");
        // the original runs once, under the replacement: not the replacement again
        assertEquals("[label:bob]", s.label(" bob "));
        enable("next-twice", m(Shop.class, "twice", int.class), m(NextTest.class, "twice", int.class, MethodHandle.class));
        assertEquals(7, Shop.twice(3));
        for (int i = 0; i < 20_000; i++) { // compiled too: the version below is a constant of the target
            assertEquals(2 * i + 1, Shop.twice(i));
        }
    }

    @Test
    void theHandleTakesTheReplacementsOwnTypes() throws Exception {
        enable("next-loose", m(Shop.class, "label", String.class),
                m(NextTest.class, "labelLoosely", Object.class, String.class, MethodHandle.class));
        assertEquals("(label:x)", new Shop().label("x"));
    }

    @Test
    void theOriginalsOwnCallsAreRoutedAsUsual() throws Exception {
        enable("next-depth", m(Shop.class, "depth", int.class),
                m(NextTest.class, "depth", Shop.class, int.class, MethodHandle.class));
        // every level of the recursion enters through the hook: 10 + (1 + (10 + (1 + (10 + 0))))
        assertEquals(32, new Shop().depth(2));
    }

    @Test
    void stackedPatchesRunTopThenBelowThenOriginal() throws Exception {
        Shop s = new Shop();
        PatchHandle a = enable("next-trace-a", "trace", "traceA");
        assertEquals("A,orig", s.trace(""));
        PatchHandle b = enable("next-trace-b", "trace", "traceB");
        assertEquals("B,A,orig", s.trace(""));
        b.disable();
        assertEquals("A,orig", s.trace(""));
        b.enable();
        assertEquals("B,A,orig", s.trace(""));
        b.disable();
        a.disable();
        assertEquals("orig", s.trace(""));
        // the lower patch gone, the upper one's next is the original code
        a.unregister();
        b.enable();
        assertEquals("B,orig", s.trace(""));
    }

    @Test
    void theVersionBelowMayBeAReplacementWithoutNext() throws Exception {
        Shop s = new Shop();
        enable("next-trace-c", m(Shop.class, "trace", String.class),
                m(NextTest.class, "traceC", Shop.class, String.class));
        enable("next-trace-b2", "trace", "traceB");
        assertEquals("B,C", s.trace(""));
    }

    @Test
    void underLoadEveryCallRunsOneConsistentChain() throws Exception {
        Shop s = new Shop();
        Set<String> consistent = Set.of("orig", "A,orig", "B,A,orig");
        Map<String, Boolean> wrong = new ConcurrentHashMap<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong calls = new AtomicLong();
        int threads = 4;
        CountDownLatch started = new CountDownLatch(threads);
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                started.countDown();
                try {
                    while (!stop.get()) {
                        String r = s.busy("");
                        if (!consistent.contains(r)) {
                            wrong.put(r, true);
                        }
                        calls.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "next-caller-" + t);
            th.start();
            callers.add(th);
        }
        started.await();
        AtomicReference<PatchException> refused = new AtomicReference<>();
        try {
            for (int round = 0; round < 10; round++) {
                PatchHandle a = enable("next-busy-a", "busy", "busyA");
                PatchHandle b = enable("next-busy-b", "busy", "busyB");
                b.disable();
                settle(b);
                a.disable();
                settle(a);
                b.unregister();
                a.unregister();
            }
        } catch (PatchException e) {
            refused.set(e);
        } finally {
            stop.set(true);
            for (Thread th : callers) {
                th.join();
            }
        }
        assertNull(refused.get(), () -> "a transition failed: " + refused.get());
        assertNull(failure.get(), () -> "a call failed: " + failure.get());
        assertTrue(wrong.isEmpty(), () -> "calls mixed versions: " + wrong.keySet());
        assertTrue(calls.get() > 0);
    }

    @Test
    void aMisplacedNextIsAnInvalidPatch() {
        PatchException e = TestSupport.refusedRegistration(Patch.builder("next-first")
                .replace(m(Shop.class, "plain", String.class),
                        m(NextTest.class, "nextFirst", Shop.class, MethodHandle.class, String.class)).build());
        assertEquals(PatchException.Reason.INVALID_PATCH, e.reason());
        assertTrue(e.getMessage().contains("@Next is on parameter 2 of 3: it must be on the last parameter"),
                e.getMessage());
    }

    @Test
    void aNextThatIsNoMethodHandleIsAnInvalidPatch() {
        PatchException e = TestSupport.refusedRegistration(Patch.builder("next-mistyped")
                .replace(m(Shop.class, "plain", String.class),
                        m(NextTest.class, "nextMistyped", Shop.class, String.class, Object.class)).build());
        assertEquals(PatchException.Reason.INVALID_PATCH, e.reason());
        assertTrue(e.getMessage().contains("the @Next parameter is a java.lang.Object: declare it as"
                + " java.lang.invoke.MethodHandle"), e.getMessage());
    }

    @Test
    void aMethodHandleWithoutNextIsOneParameterTooMany() {
        PatchException e = TestSupport.refusedRegistration(Patch.builder("next-unannotated")
                .replace(m(Shop.class, "plain", String.class),
                        m(NextTest.class, "notAnnotated", Shop.class, String.class, MethodHandle.class)).build());
        assertEquals(PatchException.Reason.SIGNATURE_MISMATCH, e.reason());
        assertTrue(e.getMessage().contains("annotate it @io.jlivepatch.Next"), e.getMessage());
    }

    @Test
    void theOriginalOfAClassInAClosedPackageIsOutOfReach() {
        PatchException e = TestSupport.refusedRegistration(Patch.builder("next-closed")
                .replace(m(java.util.StringJoiner.class, "toString"),
                        m(NextTest.class, "joined", java.util.StringJoiner.class, MethodHandle.class)).build());
        assertEquals(PatchException.Reason.NOT_PATCHABLE, e.reason());
        assertTrue(e.getMessage().contains("@Next cannot call the original code of java.util.StringJoiner: module"
                + " java.base does not open java.util to jlivepatch; start the JVM with --add-opens"
                + " java.base/java.util=ALL-UNNAMED"), e.getMessage());
    }

    @Test
    void aPatchJarCallsTheVersionBelow() throws Exception {
        Path jar = Jars.write(dir.resolve("shop-fix.jar"), Jars.manifest("next-jar", "nextapp.fix.ShopFix"),
                Jars.classes("nextapp.fix.ShopFix"));
        PatchHandle h = TestSupport.livepatch().load(jar);
        h.enable();
        assertEquals("<jar:x>", new Shop().jar(" x "));
        // resolved by name, with the descriptor inferred without the @Next parameter
        Class<?> late = Class.forName("nextapp.LateStatics");
        assertEquals("HI!", late.getMethod("shout", String.class).invoke(null, "hi"));
    }

    // ---- how the original code runs (issue 17: as cheap as the original) ----

    @Test
    void theOriginalCodeRunsAsACopyWithoutPassingThroughTheHookAgain() throws Exception {
        Copied c = new Copied();
        enable("next-copied", m(Copied.class, "framed", String.class),
                m(NextTest.class, "framed", Copied.class, String.class, MethodHandle.class));
        // One frame of Copied.framed: the hook's, which runs the replacement. Through a pass the hooked
        // method would be entered a second time to run its own code (two frames); the copy, a hidden
        // class, leaves none of its own in the trace. Its private method, private field and lambda
        // are the class's own.
        assertEquals("(<x>/1/1)", c.framed("x"));
        assertEquals("(<y>/1/2)", c.framed("y"));
        for (int i = 0; i < 20_000; i++) { // compiled too
            c.framed("z");
        }
        assertEquals("(<z>/1/20003)", c.framed("z"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void aClassOfALoaderWithAModuleOfItsOwnHasItsOriginalCodeCopiedToo() throws Exception {
        String name = "nextapp.IsolatedCopied";
        Class<?> c = IsolatingLoader.of("next-webapp", name).define(name);
        java.util.function.UnaryOperator<String> op =
                (java.util.function.UnaryOperator<String>) c.getDeclaredConstructor().newInstance();
        assertTrue(c.getModule() != NextTest.class.getModule(), "the loader's unnamed module is its own");
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("next-webapp").replace(name, "apply",
                "(Ljava/lang/String;)Ljava/lang/String;", m(NextTest.class, "isolated", Object.class, String.class,
                        MethodHandle.class)).build());
        h.enable();
        settle(h);
        // two frames of apply: the bridge apply(Object) and the hook's apply(String); the copy ran,
        // defined through jlivepatch's trusted lookup (through a pass the hooked method would be a third)
        assertEquals("(<x>/2/next-webapp)", op.apply("x"));
    }

    @Test
    void aSynchronizedMethodsCopyHoldsTheReceiversMonitor() throws Exception {
        Copied c = new Copied();
        enable("next-locked", m(Copied.class, "locked", String.class),
                m(NextTest.class, "locked", Copied.class, String.class, MethodHandle.class));
        assertEquals("(<x>/1/true)", c.locked("x"));
    }

    @Test
    void codeThatCannotBeCopiedRunsThroughTheHookWithAPass() throws Exception {
        Copied c = new Copied();
        enable("next-super", m(Copied.class, "superCalled", String.class),
                m(NextTest.class, "superCalled", Copied.class, String.class, MethodHandle.class));
        // a super call: the method itself runs its code, a second frame of it
        assertEquals("(<x>/2/true)", c.superCalled("x"));
    }

    @Test
    void theCopyFollowsARedefinitionOfTheClass() throws Exception {
        enable("next-version", m(Copied.class, "version"), m(NextTest.class, "version", MethodHandle.class));
        assertEquals("(v1)", Copied.version());
        byte[] v1 = TestSupport.classFile(Copied.class.getName());
        byte[] v2 = NextTestAccess.replace(v1, "v1", "v2");
        java.lang.instrument.Instrumentation inst = TestSupport.instrumentation();
        try {
            // what another agent's retransformation does: the hook transformer gets other code
            inst.redefineClasses(new java.lang.instrument.ClassDefinition(Copied.class, v2));
            // the sites are relinked by a thread of jlivepatch's: wait for it, however long it takes
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (!"(v2)".equals(Copied.version()) && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals("(v2)", Copied.version());
        } finally {
            inst.redefineClasses(new java.lang.instrument.ClassDefinition(Copied.class, v1));
        }
    }
}
