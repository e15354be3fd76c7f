package io.jlivepatch;

import cbapp.Cache;
import cbapp.Held;
import cbapp.Hold;
import cbapp.Store;
import io.jlivepatch.internal.core.AuditLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static io.jlivepatch.TestSupport.statusIn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel's selftest {@code test-callbacks.sh}, translated: callbacks around enable and disable,
 * for classes loaded before the patch and defined after it, a failing {@code prePatch}, several
 * patches, reversed and forced transitions.
 */
class CallbacksTest {

    private static final String LATE = "cbapp.Late";
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** What the callbacks and the replacements did, in order. */
    private static final List<String> EVENTS = Collections.synchronizedList(new ArrayList<>());

    private final List<Thread> started = new ArrayList<>();

    public static String cacheGet(Object self) {
        return "patched";
    }

    public static String cacheGetAgain(Object self) {
        return "patched again";
    }

    public static String storeGet(Object self) {
        return "patched store";
    }

    /** The replacement of cbapp.Late.get: says which loader's copy it runs for. */
    public static String lateGet(Object self) {
        EVENTS.add("call " + self.getClass().getClassLoader().getName());
        return "patched";
    }

    /** A second replacement of cbapp.Late.get, for a patch below another. */
    public static String lateGetBelow(Object self) {
        return "below";
    }

    /** The replacement of Held.work: holds the thread too, so a disable can be held. */
    public static String work() {
        Hold.pass();
        return "new";
    }

    @BeforeEach
    void clearEvents() {
        EVENTS.clear();
        new Cache();
        new Store();
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Thread t : started) {
            Hold.release(t);
            t.join(10_000);
        }
        for (PatchHandle h : livepatch().patches()) {
            h.awaitTransition(WAIT);
        }
        TestSupport.removeAllPatches();
        for (PatchHandle h : livepatch().patches()) {
            h.awaitTransition(WAIT);
        }
    }

    /** Records each callback as {@code "<tag> <callback> <class>[@loader][ sees <probe>]"}; may throw on purpose. */
    static final class Recorder extends RecordingCallbacks {
        private final String tag;
        private final Supplier<String> probe;
        volatile String failIn;
        volatile String failLoader;
        volatile Runnable duringPrePatch;

        Recorder(String tag) {
            this(tag, null);
        }

        /** @param probe run on another thread in every callback, its result recorded: what the application sees then */
        Recorder(String tag, Supplier<String> probe) {
            this.tag = tag;
            this.probe = probe;
        }

        @Override
        public void prePatch(Class<?> target) {
            Runnable r = duringPrePatch;
            if (r != null) {
                r.run();
            }
            super.prePatch(target);
        }

        @Override
        void record(String kind, Class<?> target) {
            ClassLoader l = target.getClassLoader();
            String event = tag + " " + kind + " " + target.getSimpleName()
                    + (l instanceof IsolatingLoader ? "@" + l.getName() : "");
            if (probe != null) {
                event += " sees " + onAnotherThread(probe);
            }
            EVENTS.add(event);
            if (kind.equals(failIn) && (failLoader == null || failLoader.equals(l.getName()))) {
                throw new IllegalStateException(kind + " of " + target.getSimpleName() + " fails on purpose");
            }
        }
    }

    static String onAnotherThread(Supplier<String> s) {
        AtomicReference<String> result = new AtomicReference<>();
        Thread t = new Thread(() -> result.set(s.get()), "probe");
        t.start();
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertFalse(t.isAlive(), "the probe hangs");
        return result.get();
    }

    private static Patch.Builder cachePatch(String name) {
        return Patch.builder(name).replace(method(Cache.class, "get"), method(CallbacksTest.class, "cacheGet", Object.class));
    }

    /** A patch of Cache.get and Store.get ("patched", "patched store"), in that order: Cache's callbacks run first. */
    static Patch.Builder cacheAndStorePatch(String name) {
        return cachePatch(name).replace(method(Store.class, "get"), method(CallbacksTest.class, "storeGet", Object.class));
    }

    private static Patch.Builder heldPatch(String name) {
        return Patch.builder(name).replace(method(Held.class, "work"), method(CallbacksTest.class, "work"));
    }

    private static Patch.Builder latePatch(String name) {
        return Patch.builder(name).replace(LATE, "get", "()Ljava/lang/String;",
                method(CallbacksTest.class, "lateGet", Object.class));
    }

    /** Starts a thread that calls Held.work() once and is held inside it (old or new version) until released. */
    private Thread heldInWork() throws InterruptedException {
        Thread t = new Thread(Held::work, "held-in-work");
        Hold.arm(t);
        started.add(t);
        t.start();
        Hold.awaitEntered(t);
        return t;
    }

    private static void release(Thread t) throws InterruptedException {
        Hold.release(t);
        t.join(10_000);
    }

    @SuppressWarnings("unchecked")
    private static Supplier<String> lateInstance(IsolatingLoader loader) throws ReflectiveOperationException {
        return (Supplier<String>) loader.define(LATE).getDeclaredConstructor().newInstance();
    }

    /**
     * The events of the given isolating loaders' classes, in order: copies of cbapp.Late that earlier
     * tests defined may still be loaded, and get their callbacks too.
     */
    private static List<String> eventsOf(String... loaders) {
        List<String> out = new ArrayList<>();
        synchronized (EVENTS) {
            for (String e : EVENTS) {
                for (String l : loaders) {
                    if (e.endsWith("@" + l) || e.equals("call " + l)) {
                        out.add(e);
                    }
                }
            }
        }
        return out;
    }

    private static List<AuditLog.Entry> audit() {
        return RegistryAccess.get().audit().entries();
    }

    @Test
    void enableAndDisableRunTheCallbacksInTheKernelsOrderAroundTheirTransitions() throws Exception {
        Supplier<String> cache = () -> new Cache().get();
        PatchHandle h = livepatch().register(cacheAndStorePatch("cb-order")
                .callbacks("cbapp.Cache", new Recorder("p", cache))
                .callbacks("cbapp.Store", new Recorder("p", cache))
                .build());
        assertEquals(List.of(), EVENTS, "registering runs no callback");

        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(List.of("p prePatch Cache sees original", "p prePatch Store sees original",
                "p postPatch Cache sees patched", "p postPatch Store sees patched"), EVENTS,
                "prePatch before any call is redirected, in description order; postPatch once every thread is patched");

        EVENTS.clear();
        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(List.of("p preUnpatch Cache sees patched", "p preUnpatch Store sees patched",
                "p postUnpatch Cache sees original", "p postUnpatch Store sees original"), EVENTS);
    }

    @Test
    void aClassDefinedByTwoLoadersBeforeTheEnableGetsItsCallbacksOncePerLoader() throws Exception {
        IsolatingLoader one = IsolatingLoader.of("cb-one", LATE);
        IsolatingLoader two = IsolatingLoader.of("cb-two", LATE);
        Supplier<String> a = lateInstance(one);
        Supplier<String> b = lateInstance(two);
        PatchHandle h = livepatch().register(latePatch("cb-loaders").callbacks(LATE, new Recorder("l")).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        List<String> sorted = eventsOf("cb-one", "cb-two");
        Collections.sort(sorted);
        assertEquals(List.of("l postPatch Late@cb-one", "l postPatch Late@cb-two", "l prePatch Late@cb-one",
                "l prePatch Late@cb-two"), sorted);
        EVENTS.clear();
        assertEquals("patched", a.get());
        assertEquals("patched", b.get());
        assertEquals(List.of("call cb-one", "call cb-two"), EVENTS, "prepared at enable: no callback at the first call");
    }

    @Test
    void heldTransitionsRunTheClosingCallbackOnlyWhenTheyCompleteAndAwaitTransitionWaitsForIt() throws Exception {
        PatchHandle h = livepatch().register(heldPatch("cb-held").callbacks("cbapp.Held", new Recorder("h")).build());
        Thread old = heldInWork();
        h.enable();
        assertTrue(h.inTransition());
        assertFalse(h.awaitTransition(Duration.ofMillis(50)));
        assertEquals(List.of("h prePatch Held"), EVENTS, "no postPatch while a thread is in the old work()");
        release(old);
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(List.of("h prePatch Held", "h postPatch Held"), EVENTS,
                "awaitTransition returns true only once postPatch has run");

        EVENTS.clear();
        Thread inNew = heldInWork();
        h.disable();
        assertTrue(h.inTransition());
        assertEquals(List.of("h preUnpatch Held"), EVENTS, "preUnpatch before the transition, postUnpatch not yet");
        release(inNew);
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(List.of("h preUnpatch Held", "h postUnpatch Held"), EVENTS);
    }

    @Test
    void aReversedEnableEndsWithPostUnpatchOnly() throws Exception {
        PatchHandle h = livepatch().register(heldPatch("cb-rev-enable").callbacks("cbapp.Held", new Recorder("h")).build());
        Thread old = heldInWork();
        h.enable();
        assertTrue(h.inTransition());
        h.disable(); // reverses: the held thread never switched
        assertTrue(h.awaitTransition(WAIT));
        assertFalse(h.isEnabled());
        assertEquals(List.of("h prePatch Held", "h postUnpatch Held"), EVENTS);
        release(old);
    }

    @Test
    void aReversedDisableEndsWithPostPatchOnly() throws Exception {
        PatchHandle h = livepatch().register(heldPatch("cb-rev-disable").callbacks("cbapp.Held", new Recorder("h")).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        Thread inNew = heldInWork();
        h.disable();
        assertTrue(h.inTransition());
        h.enable(); // reverses: the held thread never switched back
        assertTrue(h.awaitTransition(WAIT));
        assertTrue(h.isEnabled());
        assertEquals(List.of("h prePatch Held", "h postPatch Held", "h preUnpatch Held", "h postPatch Held"), EVENTS);
        release(inNew);
        assertEquals("new", Held.work());
    }

    /**
     * A transition's end on the worker with no memory for its closing operation (PatchRegistry.
     * failNextClosingOperationForTests) writes its ok line first (06c43bd7): once, never again after the callbacks,
     * and the failure of a closing callback after it, as README's audit section says; for the enable's postPatch and
     * the disable's postUnpatch.
     */
    @Test
    void aWorkersEndWithNoMemoryForItsOperationHasItsOkLineOnceAndTheCallbacksFailureAfterIt() throws Exception {
        Recorder r = new Recorder("h");
        PatchHandle h = livepatch().register(heldPatch("cb-end-first").callbacks("cbapp.Held", r).build());
        for (String kind : List.of("postPatch", "postUnpatch")) {
            r.failIn = kind;
            Thread held = heldInWork();
            if (kind.equals("postPatch")) {
                h.enable();
            } else {
                h.disable();
            }
            assertTrue(h.inTransition(), "the held thread keeps the transition running");
            io.jlivepatch.internal.core.PatchRegistry.failNextClosingOperationForTests(
                    new OutOfMemoryError("injected"));
            try {
                release(held);
                assertTrue(h.awaitTransition(WAIT));
            } finally {
                io.jlivepatch.internal.core.PatchRegistry.failNextClosingOperationForTests(null);
            }
            String end = kind.equals("postPatch") ? "ok (patching complete)" : "ok (unpatching complete)";
            List<String> lines = audit().stream().filter(e -> e.patch().equals("cb-end-first"))
                    .map(e -> e.operation() + " " + e.outcome()).toList();
            assertEquals(1, lines.stream().filter(l -> l.equals("transition " + end)).count(), lines.toString());
            int at = lines.indexOf("transition " + end);
            assertEquals(at + 2, lines.size(), "the callback's failure is the last line: " + lines);
            assertTrue(lines.get(at + 1).startsWith("callback failed " + kind + " of cbapp.Held"), lines.toString());
        }
        assertEquals(2, RegistryAccess.get().callbackFailures(h));
    }

    @Test
    void forceCompletesTheTransitionAndRunsItsClosingCallbacks() throws Exception {
        PatchHandle h = livepatch().register(heldPatch("cb-force").callbacks("cbapp.Held", new Recorder("h")).build());
        Thread old = heldInWork();
        h.enable();
        assertEquals(List.of("h prePatch Held"), EVENTS);
        h.forceTransition();
        assertEquals(List.of("h prePatch Held", "h postPatch Held"), EVENTS);
        assertTrue(h.awaitTransition(Duration.ZERO));
        release(old);
    }

    @Test
    void aFailingPrePatchRefusesTheEnableAndOnlyThePreparedClassesGetPostUnpatch() throws Exception {
        Recorder store = new Recorder("p");
        store.failIn = "prePatch";
        PatchHandle h = livepatch().register(cacheAndStorePatch("cb-fail")
                .callbacks("cbapp.Cache", new Recorder("p"))
                .callbacks("cbapp.Store", store)
                .build());
        PatchException e = assertThrows(PatchException.class, h::enable);
        assertEquals(PatchException.Reason.CALLBACK_FAILED, e.reason());
        String loader = TestSupport.loaderName(Store.class.getClassLoader());
        assertTrue(e.getMessage().contains("patch 'cb-fail': prePatch of cbapp.Store in class loader " + loader
                + " threw java.lang.IllegalStateException: prePatch of Store fails on purpose")
                && e.getMessage().contains("nothing was changed"), e.getMessage());
        assertEquals(List.of("p prePatch Cache", "p prePatch Store", "p postUnpatch Cache"), EVENTS,
                "postUnpatch for the class prepared before the failure, none for the one that failed");

        assertTrue(h.isRegistered());
        assertFalse(h.isEnabled());
        assertFalse(h.inTransition());
        assertEquals("original", new Cache().get());
        assertEquals("original store", new Store().get());
        for (FunctionStatus f : h.functions()) {
            assertEquals(FunctionStatus.State.NOT_PATCHED, f.state(), f.toString());
        }
        AuditLog.Entry last = audit().get(audit().size() - 1);
        assertEquals("enable", last.operation());
        assertTrue(last.outcome().startsWith("refused CALLBACK_FAILED"), last.toString());

        store.failIn = null; // the cause fixed: the patch enables as if nothing had happened
        EVENTS.clear();
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(List.of("p prePatch Cache", "p prePatch Store", "p postPatch Cache", "p postPatch Store"), EVENTS);
        assertEquals("patched", new Cache().get());
    }

    @Test
    void aLoadWhosePrePatchFailsLeavesNothingRegistered() throws Exception {
        Recorder r = new Recorder("p");
        r.failIn = "prePatch";
        Patch patch = cachePatch("cb-load-fail").callbacks("cbapp.Cache", r).build();
        PatchException e = assertThrows(PatchException.class, () -> RegistryAccess.get().registerAndEnable(patch));
        assertEquals(PatchException.Reason.CALLBACK_FAILED, e.reason());
        assertTrue(livepatch().find("cb-load-fail").isEmpty());
        assertEquals(List.of("p prePatch Cache"), EVENTS);
        assertEquals("original", new Cache().get());
    }

    /**
     * A prePatch whose exception's message holds a line break (or a class name that does: MutatedJarTest,
     * seed 117012090413310, a NoClassDefFoundError) is refused in one line, the patch's text escaped.
     * Before, the refusal quoted it raw, a message of two lines.
     */
    @Test
    void aPrePatchWhoseMessageHoldsALineBreakIsRefusedInOneLine() throws Exception {
        PatchHandle h = livepatch().register(cachePatch("cb-line-break").callbacks("cbapp.Cache", new Callbacks() {
            @Override
            public void prePatch(Class<?> target) {
                throw new IllegalStateException("no\nwarm-up\u001b[2J");
            }
        }).build());
        PatchException e = assertThrows(PatchException.class, h::enable);
        assertEquals(PatchException.Reason.CALLBACK_FAILED, e.reason());
        assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\u001b"), e.getMessage());
        assertTrue(e.getMessage().contains("threw java.lang.IllegalStateException: no\\nwarm-up\\e[2J; the enable was"
                + " refused and nothing was changed"), e.getMessage());
        assertFalse(h.isEnabled());
        assertEquals("original", new Cache().get());
    }

    @Test
    void severalPatchesEachRunOnlyTheirOwnCallbacks() throws Exception {
        PatchHandle a = livepatch().register(cachePatch("cb-a").callbacks("cbapp.Cache", new Recorder("a")).build());
        PatchHandle b = livepatch().register(Patch.builder("cb-b")
                .replace(method(Cache.class, "get"), method(CallbacksTest.class, "cacheGetAgain", Object.class))
                .callbacks("cbapp.Cache", new Recorder("b")).build());
        a.enable();
        assertTrue(a.awaitTransition(WAIT));
        b.enable();
        assertTrue(b.awaitTransition(WAIT));
        assertEquals("patched again", new Cache().get());
        b.disable();
        assertTrue(b.awaitTransition(WAIT));
        a.disable();
        assertTrue(a.awaitTransition(WAIT));
        assertEquals(List.of("a prePatch Cache", "a postPatch Cache", "b prePatch Cache", "b postPatch Cache",
                "b preUnpatch Cache", "b postUnpatch Cache", "a preUnpatch Cache", "a postUnpatch Cache"), EVENTS);
    }

    @Test
    void aClassDefinedWhileThePatchIsEnabledGetsPreAndPostPatchBeforeItsFirstRedirectedCall() throws Exception {
        PatchHandle h = livepatch().register(latePatch("cb-late").callbacks(LATE, new Recorder("l")).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        IsolatingLoader loader = IsolatingLoader.of("cb-late-one", LATE);
        Supplier<String> late = lateInstance(loader);
        assertEquals(List.of(), eventsOf("cb-late-one"), "defining the class runs no callback");
        assertEquals("patched", late.get());
        assertEquals("patched", late.get());
        assertEquals(List.of("l prePatch Late@cb-late-one", "l postPatch Late@cb-late-one", "call cb-late-one",
                "call cb-late-one"), eventsOf("cb-late-one"));
        assertEquals(FunctionStatus.State.PATCHED, statusIn(h.functions().get(0), loader).state());

        EVENTS.clear();
        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(List.of("l preUnpatch Late@cb-late-one", "l postUnpatch Late@cb-late-one"),
                eventsOf("cb-late-one"));
        assertEquals("original", late.get());
    }

    /**
     * The callbacks a class defined later gets at its first call change the application outside any
     * operation, on its thread: on record as jlivepatch's {@code link} of the patch, naming the class and
     * its loader, once, after the line of the hooks the class got as it was defined; a class whose prePatch
     * refuses has its {@code callback} failure as its record (and the {@code link} failure jlivepatch's own
     * thread writes later), no {@code ok} line. Before, only the failures were on record; then the
     * callbacks' line could come before the hooks' (the link-audit thread writes those, in its own time):
     * callbacks run for a class not hooked yet, as the trail read. Here that thread is held in the log line
     * of the first class's hooks until the class's first call has returned, the order the race gave.
     */
    @Test
    void theCallbacksOfAClassDefinedLaterAreOnRecordAsJlivepatchsLinkOfThePatch() throws Exception {
        Recorder r = new Recorder("l");
        r.failIn = "prePatch";
        r.failLoader = "cb-record-bad";
        PatchHandle h = livepatch().register(latePatch("cb-late-record").callbacks(LATE, r).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        IsolatingLoader loader = IsolatingLoader.of("cb-record-one", LATE);
        String one = "cbapp.Late in class loader " + TestSupport.loaderName(loader) + ",";
        java.util.concurrent.CountDownLatch inHooksLine = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch called = new java.util.concurrent.CountDownLatch(1);
        java.util.logging.Handler holding = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                String m = record.getMessage();
                if (m != null && m.startsWith("applying patch 'cb-late-record' to loading class cbapp.Late in class"
                        + " loader " + TestSupport.loaderName(loader))) {
                    inHooksLine.countDown();
                    try {
                        called.await(30, java.util.concurrent.TimeUnit.SECONDS); // a hang detector, not a timing
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Level level = TestSupport.JLIVEPATCH_LOG.getLevel();
        TestSupport.JLIVEPATCH_LOG.setLevel(java.util.logging.Level.INFO);
        TestSupport.JLIVEPATCH_LOG.addHandler(holding);
        Supplier<String> late;
        try {
            late = lateInstance(loader);
            assertTrue(inHooksLine.await(20, java.util.concurrent.TimeUnit.SECONDS),
                    "the link-audit thread never wrote the line of the class's hooks");
            assertEquals("patched", late.get()); // its first call: the callbacks run, their line is made
        } finally {
            called.countDown();
            TestSupport.JLIVEPATCH_LOG.removeHandler(holding);
            TestSupport.JLIVEPATCH_LOG.setLevel(level);
        }
        assertEquals("patched", late.get());
        assertEquals("original", lateInstance(IsolatingLoader.of("cb-record-bad", LATE)).get());

        // Each class's hooks (2), the first class's callbacks, the failure of the class that refused.
        List<AuditLog.Entry> links = LateLoaderAuditTest.awaitLinkEntries("cb-late-record", 4);
        List<AuditLog.Entry> ofOne = links.stream().filter(e -> e.outcome().startsWith("ok (" + one)).toList();
        assertEquals(List.of("ok (" + one + " defined after the patch was enabled: hooked as it was defined)",
                "ok (" + one + " defined after the patch was enabled: prePatch and postPatch ran at its first call)"),
                ofOne.stream().map(AuditLog.Entry::outcome).toList(), "the hooks first, then the callbacks: " + links);
        assertEquals(4, links.size(), links.toString());

        List<AuditLog.Entry> mine = audit().stream().filter(e -> e.patch().equals("cb-late-record")
                && !e.operation().equals("link")).toList();
        List<String> ops = mine.stream().map(e -> e.operation() + " " + e.requester()).toList();
        assertEquals(List.of("register api", "enable api", "transition api", "callback jlivepatch"), ops,
                mine.toString());
        assertTrue(mine.get(3).outcome().startsWith("failed prePatch of cbapp.Late"), mine.toString());
    }

    /**
     * A copy of {@link #LATE} in a class loader of its own that holds jlivepatch's link-audit thread as it names
     * the loader (the first thing it does for the line of the hooks the class got as it was defined) until
     * closed: the order a slow log back-end or disk gives, whatever the machine's speed. Not a hold in the log
     * itself: its one publisher thread would hold the calling thread's own log lines too.
     */
    static final class HooksLineHold extends IsolatingLoader implements AutoCloseable {
        private final java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        private final java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);

        HooksLineHold(String name) {
            super(name, java.util.Map.of(LATE, TestSupport.classFile(LATE)));
        }

        @Override
        public String getName() {
            // released is null while ClassLoader's constructor asks
            if (released != null && released.getCount() > 0 && Thread.currentThread().getName().equals("jlivepatch-link-audit")) {
                held.countDown();
                try {
                    released.await(30, java.util.concurrent.TimeUnit.SECONDS); // a hang detector, not a timing
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return super.getName();
        }

        void awaitHeld() throws InterruptedException {
            assertTrue(held.await(20, java.util.concurrent.TimeUnit.SECONDS),
                    "the link-audit thread never came to the line of the class's hooks");
        }

        @Override
        public void close() {
            released.countDown();
        }
    }

    /** The entries, once one satisfies {@code done} (within 20 s). */
    private static List<AuditLog.Entry> auditOnce(java.util.function.Predicate<List<AuditLog.Entry>> done)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!done.test(audit()) && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        return audit();
    }

    private static int indexOf(List<AuditLog.Entry> entries, String operation, String patch, String outcomeStart) {
        for (int i = 0; i < entries.size(); i++) {
            AuditLog.Entry e = entries.get(i);
            if (e.operation().equals(operation) && e.patch().equals(patch) && e.outcome().startsWith(outcomeStart)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * A class whose prePatch refuses at its first call has its {@code callback ... failed prePatch} line after
     * the line of the hooks it got as it was defined, as a class whose callbacks ran has its {@code ok} line:
     * the calling thread wrote it at once, and the trail read as a refusal of a class not hooked yet. The
     * link-audit thread is held in the hooks' log line until the first call returned, the order the race gave.
     */
    @Test
    void aLateClassWhosePrePatchRefusesHasItsFailureAfterTheLineOfItsHooks() throws Exception {
        Recorder r = new Recorder("l");
        r.failIn = "prePatch";
        r.failLoader = "cb-refuse-held";
        PatchHandle h = livepatch().register(latePatch("cb-late-refuse").callbacks(LATE, r).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        HooksLineHold loader = new HooksLineHold("cb-refuse-held");
        String hooked = "ok (" + LATE + " in class loader " + TestSupport.loaderName(loader) + ", defined after the"
                + " patch was enabled: hooked as it was defined";
        String refused = "failed prePatch of " + LATE + " in class loader " + TestSupport.loaderName(loader);
        try (loader) {
            Supplier<String> late = lateInstance(loader);
            loader.awaitHeld();
            assertEquals("original", late.get()); // its first call: the prePatch refuses, its line is made
        }
        List<AuditLog.Entry> entries = auditOnce(l -> indexOf(l, "link", "cb-late-refuse", hooked) >= 0
                && indexOf(l, "callback", "cb-late-refuse", refused) >= 0);
        int hooks = indexOf(entries, "link", "cb-late-refuse", hooked);
        int failure = indexOf(entries, "callback", "cb-late-refuse", refused);
        assertTrue(hooks >= 0 && failure > hooks, "the hooks first, then the refusal: " + entries);
        assertEquals("jlivepatch", entries.get(failure).requester());
    }

    /**
     * The exit counts the event of a late class's hooks as not recorded when the link-audit thread, blocked
     * writing it, does not let go within the exit's bound; the line of the callbacks that ran at the class's
     * first call, which waits for that event's line, then follows the count. It was left to the blocked
     * thread, and lost with it at the exit (the callbacks ran, the trail did not say so). The exit's pass is
     * LinkFailureAudit.atExit, run here while the thread is held in the hooks' log line.
     */
    @Test
    void aLateClasssCallbacksLineIsOnRecordWhenTheExitCountsItsHooksLineAsNotRecorded() throws Exception {
        PatchHandle h = livepatch().register(latePatch("cb-late-exit").callbacks(LATE, new Recorder("l")).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        HooksLineHold loader = new HooksLineHold("cb-exit-held");
        String ran = "ok (" + LATE + " in class loader " + TestSupport.loaderName(loader) + ", defined after the"
                + " patch was enabled: prePatch and postPatch ran at its first call)";
        Object registry = RegistryAccess.get();
        java.lang.reflect.Field f = registry.getClass().getDeclaredField("linkAudit");
        f.setAccessible(true);
        Object linkAudit = f.get(registry);
        java.lang.reflect.Method atExit = linkAudit.getClass().getDeclaredMethod("atExit");
        atExit.setAccessible(true);
        try (loader) {
            Supplier<String> late = lateInstance(loader);
            loader.awaitHeld();
            assertEquals("patched", late.get()); // its first call: the callbacks run, their line waits for the hooks'
            atExit.invoke(linkAudit); // waits its bound for the held thread, then counts what is left
            List<AuditLog.Entry> entries = audit();
            int gap = -1;
            for (int i = 0; i < entries.size(); i++) {
                if (entries.get(i).operation().equals("audit-gap")
                        && entries.get(i).outcome().contains("not recorded before the JVM exited")) {
                    gap = i;
                }
            }
            int line = indexOf(entries, "link", "cb-late-exit", ran);
            assertTrue(gap >= 0 && line > gap, "the count, then the callbacks' line: " + entries);
        }
        // Let go, the thread does not write the hooks' line the count said was not recorded: after the lines that
        // follow the count, it read as the class hooked after its callbacks ran.
        Thread thread = LinkAuditOverflowTest.threadNamed("jlivepatch-link-audit");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!parkedInItsLoop(thread) && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        assertTrue(parkedInItsLoop(thread), "the link-audit thread never went idle");
        assertEquals(-1, indexOf(audit(), "link", "cb-late-exit", "ok (" + LATE + " in class loader "
                + TestSupport.loaderName(loader) + ", defined after the patch was enabled: hooked as it was defined"),
                "counted as not recorded, then written: " + audit());
    }

    /**
     * As above, the held thread let go after the exit counted its event and before the exit's pass took the
     * callbacks' line attached to it (here: as the exit records its count): that line is the exit's to write,
     * queued for the drain after the count. The thread, finding its event counted, took the line and wrote it
     * itself (helper-178's left item): after the count, and, taken by a thread that was just blocked, possibly only
     * after the drain, lost with the JVM; and as the thread's, not the exit's.
     */
    @Test
    void aLateClasssCallbacksLineIsTheExitsToWriteWhenTheThreadLetsGoAfterTheExitCountedItsEvent() throws Exception {
        PatchHandle h = livepatch().register(latePatch("cb-late-after").callbacks(LATE, new Recorder("l")).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        HooksLineHold loader = new HooksLineHold("cb-after-held");
        String ran = "ok (" + LATE + " in class loader " + TestSupport.loaderName(loader) + ", defined after the"
                + " patch was enabled: prePatch and postPatch ran at its first call)";
        java.time.Instant start = java.time.Instant.now(); // the gaps of this JVM's earlier tests are not this one's
        Thread exit = Thread.currentThread();
        Thread thread = LinkAuditOverflowTest.threadNamed("jlivepatch-link-audit");
        java.util.concurrent.CountDownLatch threadWroteIt = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean letGo = new java.util.concurrent.atomic.AtomicBoolean();
        java.lang.reflect.Field hold = AuditLog.class.getDeclaredField("afterPlaceForTests");
        hold.setAccessible(true);
        hold.set(null, (Runnable) () -> {
            if (Thread.currentThread() == thread && indexOf(audit(), "link", "cb-late-after", ran) >= 0) {
                threadWroteIt.countDown();
            } else if (Thread.currentThread() == exit && !letGo.get() && audit().stream().anyMatch(e ->
                    e.operation().equals("audit-gap") && !e.time().isBefore(start)
                            && e.outcome().contains("not recorded before the JVM exited"))) {
                // The exit has counted the held event: the thread lets go, and is done with it (it wrote the line,
                // or it is idle again) before the exit's pass goes on to the lines that follow its count.
                letGo.set(true);
                loader.close();
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                try {
                    while (!threadWroteIt.await(5, java.util.concurrent.TimeUnit.MILLISECONDS) && !parkedInItsLoop(thread)
                            && System.nanoTime() - deadline < 0) {
                        // polls: the thread, done with the event, either wrote the line or went idle
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Object registry = RegistryAccess.get();
        java.lang.reflect.Field f = registry.getClass().getDeclaredField("linkAudit");
        f.setAccessible(true);
        Object linkAudit = f.get(registry);
        java.lang.reflect.Method atExit = linkAudit.getClass().getDeclaredMethod("atExit");
        atExit.setAccessible(true);
        try (loader) {
            Supplier<String> late = lateInstance(loader);
            loader.awaitHeld();
            assertEquals("patched", late.get()); // its first call: the callbacks run, their line waits for the hooks'
            atExit.invoke(linkAudit); // waits its bound for the held thread, counts its event, then writes the line
            assertTrue(letGo.get(), "the exit never counted the held event: " + audit());
        } finally {
            loader.close();
            hold.set(null, null);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!parkedInItsLoop(thread) && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        assertTrue(parkedInItsLoop(thread), "the link-audit thread never went idle");
        assertEquals(1, threadWroteIt.getCount(), "the link-audit thread, let go after the exit counted its event,"
                + " wrote the event's callbacks' line itself: " + audit());
        List<AuditLog.Entry> entries = audit();
        int gap = -1;
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).operation().equals("audit-gap")
                    && entries.get(i).outcome().contains("not recorded before the JVM exited")) {
                gap = i;
            }
        }
        int line = indexOf(entries, "link", "cb-late-after", ran);
        assertTrue(gap >= 0 && line > gap, "the count, then the callbacks' line, by the exit: " + entries);
        assertEquals(1, entries.stream().filter(e -> e.operation().equals("link") && e.patch().equals("cb-late-after")
                && e.outcome().startsWith(ran)).count(), "the callbacks' line once: " + entries);
    }

    /**
     * A late class's event, its callbacks' line attached, whose link-audit thread finds no memory for the fields of
     * that line (AuditLog.attachedLineForTests: held there, as a thread short of memory is while the collector
     * runs, until the exit's pass has looked, then an Error): none of the event's records is placed, so the exit
     * must count the event as not recorded, and write the line after its count. The fields were made after the
     * event was marked placed: the exit, seeing it placed, counted nothing, and the Error lost the event's records
     * and the line without a word.
     */
    @Test
    void aLateClasssEventWhoseAttachedLineFindsNoMemoryIsCountedAtTheExit() throws Exception {
        PatchHandle h = livepatch().register(latePatch("cb-late-short").callbacks(LATE, new Recorder("l")).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        HooksLineHold loader = new HooksLineHold("cb-short-held");
        String where = LATE + " in class loader " + TestSupport.loaderName(loader) + ", defined after the patch was"
                + " enabled: ";
        String hooked = "ok (" + where + "hooked as it was defined";
        String ran = "ok (" + where + "prePatch and postPatch ran at its first call)";
        java.time.Instant start = java.time.Instant.now(); // the gaps of this JVM's earlier tests are not this one's
        java.util.concurrent.CountDownLatch atTheStep = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
        java.lang.reflect.Field step = AuditLog.class.getDeclaredField("attachedLineForTests");
        step.setAccessible(true);
        step.set(null, (Runnable) () -> {
            if (atTheStep.getCount() > 0 && Thread.currentThread().getName().equals("jlivepatch-link-audit")) {
                atTheStep.countDown();
                try {
                    released.await(30, java.util.concurrent.TimeUnit.SECONDS); // a hang detector, not a timing
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new OutOfMemoryError("test: no memory for the attached line's fields");
            }
        });
        Object registry = RegistryAccess.get();
        java.lang.reflect.Field f = registry.getClass().getDeclaredField("linkAudit");
        f.setAccessible(true);
        Object linkAudit = f.get(registry);
        java.lang.reflect.Method atExit = linkAudit.getClass().getDeclaredMethod("atExit");
        atExit.setAccessible(true);
        try (loader) {
            Supplier<String> late = lateInstance(loader);
            loader.awaitHeld();
            assertEquals("patched", late.get()); // its first call: the callbacks' line is attached to the held event
            loader.close();
            assertTrue(atTheStep.await(20, java.util.concurrent.TimeUnit.SECONDS),
                    "the link-audit thread never came to the fields of the line attached to its event");
            atExit.invoke(linkAudit); // waits its bound for the held thread, then counts its event if not placed
        } finally {
            released.countDown(); // the thread, let go, finds no memory for the line's fields
            step.set(null, null);
        }
        Thread thread = LinkAuditOverflowTest.threadNamed("jlivepatch-link-audit");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!parkedInItsLoop(thread) && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        assertTrue(parkedInItsLoop(thread), "the link-audit thread never went idle");
        List<AuditLog.Entry> entries = audit();
        int gap = -1;
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).operation().equals("audit-gap") && !entries.get(i).time().isBefore(start)
                    && entries.get(i).outcome().contains("not recorded before the JVM exited")) {
                gap = i;
            }
        }
        assertTrue(gap >= 0, "the event, none of whose records was placed, was not counted at the exit: " + entries);
        assertEquals(-1, indexOf(entries, "link", "cb-late-short", hooked), "counted, yet on record: " + entries);
        int line = indexOf(entries, "link", "cb-late-short", ran);
        assertTrue(line > gap, "the count, then the callbacks' line, by the exit: " + entries);
        assertEquals(1, entries.stream().filter(e -> e.operation().equals("link") && e.patch().equals("cb-late-short")
                && e.outcome().startsWith(ran)).count(), "the callbacks' line once: " + entries);
    }

    /**
     * As above, the thread let go only after the exit's pass counted its event and before that pass writes the
     * lines that follow its count: the Error (no memory for the attached line's fields) leaves the event counted,
     * so its callbacks' line is the exit's to write, as when the thread finds its event counted at the marking
     * (aLateClasssCallbacksLineIsTheExitsToWriteWhenTheThreadLetsGoAfterTheExitCountedItsEvent). The thread, its
     * Error taken as "not counted", took the line and wrote it as its own: a thread just let go, possibly after
     * the drain, lost with the JVM.
     */
    @Test
    void aLateClasssLineIsTheExitsToWriteWhenTheThreadFindsNoMemoryForItAfterTheExitCountedItsEvent()
            throws Exception {
        PatchHandle h = livepatch().register(latePatch("cb-late-short-after").callbacks(LATE, new Recorder("l"))
                .build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        HooksLineHold loader = new HooksLineHold("cb-short-after-held");
        String ran = "ok (" + LATE + " in class loader " + TestSupport.loaderName(loader) + ", defined after the"
                + " patch was enabled: prePatch and postPatch ran at its first call)";
        java.time.Instant start = java.time.Instant.now(); // the gaps of this JVM's earlier tests are not this one's
        Thread exit = Thread.currentThread();
        Thread thread = LinkAuditOverflowTest.threadNamed("jlivepatch-link-audit");
        java.util.concurrent.CountDownLatch atTheStep = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch threadWroteIt = new java.util.concurrent.CountDownLatch(1);
        java.lang.reflect.Field step = AuditLog.class.getDeclaredField("attachedLineForTests");
        step.setAccessible(true);
        step.set(null, (Runnable) () -> {
            if (atTheStep.getCount() > 0 && Thread.currentThread() == thread) {
                atTheStep.countDown();
                try {
                    released.await(30, java.util.concurrent.TimeUnit.SECONDS); // a hang detector, not a timing
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new OutOfMemoryError("test: no memory for the attached line's fields");
            }
        });
        java.lang.reflect.Field hold = AuditLog.class.getDeclaredField("afterPlaceForTests");
        hold.setAccessible(true);
        hold.set(null, (Runnable) () -> {
            if (Thread.currentThread() == thread && indexOf(audit(), "link", "cb-late-short-after", ran) >= 0) {
                threadWroteIt.countDown();
            } else if (Thread.currentThread() == exit && released.getCount() > 0 && audit().stream().anyMatch(e ->
                    e.operation().equals("audit-gap") && !e.time().isBefore(start)
                            && e.outcome().contains("not recorded before the JVM exited"))) {
                // The exit has counted the held event: the thread lets go, finds no memory, and is done with the
                // event (it wrote the line, or it is idle again) before the exit's pass writes what follows.
                released.countDown();
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                try {
                    while (!threadWroteIt.await(5, java.util.concurrent.TimeUnit.MILLISECONDS)
                            && !parkedInItsLoop(thread) && System.nanoTime() - deadline < 0) {
                        // polls: the thread, done with the event, either wrote the line or went idle
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Object registry = RegistryAccess.get();
        java.lang.reflect.Field f = registry.getClass().getDeclaredField("linkAudit");
        f.setAccessible(true);
        Object linkAudit = f.get(registry);
        java.lang.reflect.Method atExit = linkAudit.getClass().getDeclaredMethod("atExit");
        atExit.setAccessible(true);
        try (loader) {
            Supplier<String> late = lateInstance(loader);
            loader.awaitHeld();
            assertEquals("patched", late.get()); // its first call: the callbacks' line is attached to the held event
            loader.close();
            assertTrue(atTheStep.await(20, java.util.concurrent.TimeUnit.SECONDS),
                    "the link-audit thread never came to the fields of the line attached to its event");
            atExit.invoke(linkAudit); // waits its bound, counts the held event, lets the thread go, writes the line
            assertEquals(0, released.getCount(), "the exit never counted the held event: " + audit());
        } finally {
            released.countDown();
            step.set(null, null);
            hold.set(null, null);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!parkedInItsLoop(thread) && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        assertTrue(parkedInItsLoop(thread), "the link-audit thread never went idle");
        assertEquals(1, threadWroteIt.getCount(), "the link-audit thread, let go after the exit counted its event,"
                + " found no memory and wrote the event's callbacks' line itself: " + audit());
        List<AuditLog.Entry> entries = audit();
        int gap = -1;
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).operation().equals("audit-gap") && !entries.get(i).time().isBefore(start)
                    && entries.get(i).outcome().contains("not recorded before the JVM exited")) {
                gap = i;
            }
        }
        int line = indexOf(entries, "link", "cb-late-short-after", ran);
        assertTrue(gap >= 0 && line > gap, "the count, then the callbacks' line, by the exit: " + entries);
        assertEquals(1, entries.stream().filter(e -> e.operation().equals("link")
                && e.patch().equals("cb-late-short-after") && e.outcome().startsWith(ran)).count(),
                "the callbacks' line once: " + entries);
    }

    /**
     * As above, with the link-audit thread held after the hooks' line took its place in the audit log (waiting
     * for the audit file's write, say: a slow disk): that line is in the file's queue and not counted, and the
     * callbacks' line attached to its event must still be on record at the exit, after it. It was left to the
     * held thread, which writes it only once it lets go: after the exit's drain, lost with the JVM.
     */
    @Test
    void aLateClasssCallbacksLineIsOnRecordAtTheExitWhenItsHooksLineIsPlacedAndTheThreadHeld() throws Exception {
        PatchHandle h = livepatch().register(latePatch("cb-late-placed").callbacks(LATE, new Recorder("l")).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        IsolatingLoader loader = new IsolatingLoader("cb-placed-held", java.util.Map.of(LATE, TestSupport.classFile(LATE)));
        String hooked = "ok (" + LATE + " in class loader " + TestSupport.loaderName(loader) + ", defined after the"
                + " patch was enabled: hooked as it was defined";
        String ran = "ok (" + LATE + " in class loader " + TestSupport.loaderName(loader) + ", defined after the"
                + " patch was enabled: prePatch and postPatch ran at its first call)";
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
        java.lang.reflect.Field hold = AuditLog.class.getDeclaredField("afterPlaceForTests");
        hold.setAccessible(true);
        hold.set(null, (Runnable) () -> {
            if (held.getCount() > 0 && Thread.currentThread().getName().equals("jlivepatch-link-audit")
                    && indexOf(audit(), "link", "cb-late-placed", hooked) >= 0) {
                held.countDown();
                try {
                    released.await(30, java.util.concurrent.TimeUnit.SECONDS); // a hang detector, not a timing
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Object registry = RegistryAccess.get();
        java.lang.reflect.Field f = registry.getClass().getDeclaredField("linkAudit");
        f.setAccessible(true);
        Object linkAudit = f.get(registry);
        java.lang.reflect.Method atExit = linkAudit.getClass().getDeclaredMethod("atExit");
        atExit.setAccessible(true);
        try {
            Supplier<String> late = lateInstance(loader);
            assertTrue(held.await(20, java.util.concurrent.TimeUnit.SECONDS),
                    "the link-audit thread never placed the line of the class's hooks");
            assertEquals("patched", late.get()); // its first call: the callbacks run, their line waits for the hooks'
            atExit.invoke(linkAudit); // waits its bound for the held thread, then takes what is left
            List<AuditLog.Entry> entries = audit();
            int hooks = indexOf(entries, "link", "cb-late-placed", hooked);
            int line = indexOf(entries, "link", "cb-late-placed", ran);
            assertTrue(hooks >= 0 && line > hooks, "the hooks' line, then the callbacks' line: " + entries);
            assertTrue(entries.subList(hooks, entries.size()).stream().noneMatch(e -> e.operation().equals("audit-gap")
                    && e.outcome().contains("not recorded before the JVM exited")),
                    "a line placed in the file's queue is not counted as not recorded: " + entries);
        } finally {
            released.countDown();
            hold.set(null, null);
        }
        Thread thread = LinkAuditOverflowTest.threadNamed("jlivepatch-link-audit");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!parkedInItsLoop(thread) && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        assertTrue(parkedInItsLoop(thread), "the link-audit thread never went idle");
        assertEquals(1, audit().stream().filter(e -> e.operation().equals("link") && e.patch().equals("cb-late-placed")
                && e.outcome().startsWith(ran)).count(), "the callbacks' line once: " + audit());
    }

    /**
     * A class defined later and hooked by two enabled patches makes one event and two records (one per patch).
     * The link-audit thread held after it placed the first (waiting for the audit file's write, say: a slow disk),
     * the exit's pass (LinkFailureAudit.atExit, which waits its bound for that thread) must find both records
     * placed, or count the event as not recorded; and none may come after it, once the thread lets go. They were
     * placed one by one: the exit saw the event placed, counted nothing, and the second record came after the
     * exit's lines, lost after the audit file's drain.
     */
    @Test
    void bothRecordsOfALateClassHookedByTwoPatchesArePlacedOrCountedWhenTheExitFindsTheThreadHeldAfterTheFirst()
            throws Exception {
        for (String name : List.of("cb-two-a", "cb-two-b")) {
            PatchHandle h = livepatch().register(latePatch(name).build());
            h.enable();
            assertTrue(h.awaitTransition(WAIT));
        }
        IsolatingLoader loader = new IsolatingLoader("cb-two-held", java.util.Map.of(LATE, TestSupport.classFile(LATE)));
        String hooked = "ok (" + LATE + " in class loader " + TestSupport.loaderName(loader) + ", defined after the"
                + " patch was enabled: hooked as it was defined";
        List<String[]> lines = List.of(new String[] {"link", "cb-two-a", hooked},
                new String[] {"link", "cb-two-b", hooked});
        assertEachPlacedOrCountedAtTheExit(lines, lines, () -> lateInstance(loader), () -> { });
    }

    /**
     * A class defined later and hooked by two enabled patches makes one event and two records, placed after the
     * event is marked placed (AuditLog.recordEvent). The link-audit thread meets an Error (no memory) as it places
     * the record of the second patch (AuditLog.placeForTests), once: that record is on record all the same, tried
     * again. The Error ended the placing: the record was neither in the audit log nor in the file's queue, and the
     * exit, which finds the event placed, never counted it.
     */
    @Test
    void aLateClasssRecordWhosePlaceFindsNoMemoryOnceIsOnRecord() throws Exception {
        IsolatingLoader loader = new IsolatingLoader("cb-oom-once",
                java.util.Map.of(LATE, TestSupport.classFile(LATE)));
        String hooked = "ok (" + LATE + " in class loader " + TestSupport.loaderName(loader) + ", defined after the"
                + " patch was enabled: hooked as it was defined";
        java.util.concurrent.atomic.AtomicInteger thrown = new java.util.concurrent.atomic.AtomicInteger();
        List<AuditLog.Entry> entries = withNoMemoryToPlace("cb-oom-b", hooked, 1, thrown, () -> lateInstance(loader));
        assertEquals(1, thrown.get(), "no Error was thrown where the record is placed: " + entries);
        assertTrue(indexOf(entries, "link", "cb-oom-a", hooked) >= 0, "the first patch's record: " + entries);
        assertTrue(indexOf(entries, "link", "cb-oom-b", hooked) >= 0,
                "the record whose place met an Error, the event marked placed, is lost: " + entries);
    }

    /**
     * As above, the Error at every try (memory cannot hold the record), an audit file in use: the record is counted
     * as not written to it (its status, its next gap line), and the other patch's record is placed. The record was
     * lost without a word.
     */
    @Test
    void aLateClasssRecordWhosePlaceFindsNoMemoryAtAllIsCountedAsNotWrittenToTheAuditFile(@TempDir Path dir)
            throws Exception {
        IsolatingLoader loader = new IsolatingLoader("cb-oom-all", java.util.Map.of(LATE, TestSupport.classFile(LATE)));
        String hooked = "ok (" + LATE + " in class loader " + TestSupport.loaderName(loader) + ", defined after the"
                + " patch was enabled: hooked as it was defined";
        Class<?> auditFile = Class.forName("io.jlivepatch.internal.core.AuditFile");
        java.lang.reflect.Method start = auditFile.getDeclaredMethod("start", Path.class, String.class);
        start.setAccessible(true);
        java.lang.reflect.Field file = AuditLog.class.getDeclaredField("file");
        file.setAccessible(true);
        Object before = file.get(null);
        Path path = dir.resolve("audit.jsonl");
        file.set(null, start.invoke(null, path, path.toString()));
        java.util.concurrent.atomic.AtomicInteger thrown = new java.util.concurrent.atomic.AtomicInteger();
        List<AuditLog.Entry> entries;
        long notWritten;
        try {
            entries = withNoMemoryToPlace("cb-oom-all-b", hooked, Integer.MAX_VALUE, thrown,
                    () -> lateInstance(loader));
            notWritten = io.jlivepatch.internal.core.AuditFile.notWrittenCount();
        } finally {
            file.set(null, before);
        }
        assertTrue(thrown.get() >= 1, "no Error was thrown where the record is placed: " + entries);
        assertTrue(indexOf(entries, "link", "cb-oom-all-a", hooked) >= 0, "the other patch's record: " + entries);
        assertEquals(-1, indexOf(entries, "link", "cb-oom-all-b", hooked), "placed, with no memory: " + entries);
        assertEquals(1, notWritten, "the record memory could not hold is not counted as not written to the audit"
                + " file: " + entries);
    }

    /**
     * Enables {@code <patch without -b>-a} and {@code patch}, makes a class they both hook ({@code make}), the
     * link-audit thread throwing an OutOfMemoryError as it places a record of {@code patch} starting {@code outcome},
     * at most {@code times} times (counted in {@code thrown}); the audit log once that thread is idle again.
     */
    private static List<AuditLog.Entry> withNoMemoryToPlace(String patch, String outcome, int times,
                                                            java.util.concurrent.atomic.AtomicInteger thrown,
                                                            Step make) throws Exception {
        String first = patch.substring(0, patch.length() - 1) + "a";
        for (String name : List.of(first, patch)) {
            PatchHandle h = livepatch().register(latePatch(name).build());
            h.enable();
            assertTrue(h.awaitTransition(WAIT));
        }
        Thread thread = LinkAuditOverflowTest.threadNamed("jlivepatch-link-audit");
        java.lang.reflect.Field step = AuditLog.class.getDeclaredField("placeForTests");
        step.setAccessible(true);
        step.set(null, (java.util.function.Consumer<String[]>) x -> {
            if (Thread.currentThread() == thread && x[1].equals(patch) && x[2].startsWith(outcome)
                    && thrown.get() < times) {
                thrown.incrementAndGet();
                throw new OutOfMemoryError("test: no memory for the record's entry");
            }
        });
        try {
            make.run();
            auditOnce(l -> indexOf(l, "link", first, outcome) >= 0);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!parkedInItsLoop(thread) && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
            assertTrue(parkedInItsLoop(thread), "the link-audit thread never went idle");
        } finally {
            step.set(null, null);
        }
        return audit();
    }

    /**
     * As above, for the lines a late class's first call attaches to the event of its hooks: the callbacks' lines of
     * two patches, the link-audit thread held after it placed one of them. They followed the event, written one by
     * one once it was: the exit, finding the event placed and the lines taken, counted nothing, and the second
     * callbacks' line came after it, lost after the drain.
     */
    @Test
    void bothCallbacksLinesOfALateClassArePlacedOrCountedWhenTheExitFindsTheThreadHeldAfterTheFirst()
            throws Exception {
        for (String name : List.of("cb-two-cb-a", "cb-two-cb-b")) {
            PatchHandle h = livepatch().register(latePatch(name).callbacks(LATE, new Recorder(name)).build());
            h.enable();
            assertTrue(h.awaitTransition(WAIT));
        }
        HooksLineHold loader = new HooksLineHold("cb-two-cb-held");
        String where = LATE + " in class loader " + TestSupport.loaderName(loader) + ", defined after the patch was"
                + " enabled: ";
        String hooked = "ok (" + where + "hooked as it was defined";
        String ran = "ok (" + where + "prePatch and postPatch ran at its first call)";
        List<String[]> callbacks = List.of(new String[] {"link", "cb-two-cb-a", ran},
                new String[] {"link", "cb-two-cb-b", ran});
        List<String[]> lines = new ArrayList<>(List.of(new String[] {"link", "cb-two-cb-a", hooked},
                new String[] {"link", "cb-two-cb-b", hooked}));
        lines.addAll(callbacks);
        try (loader) {
            Supplier<String> late = lateInstance(loader);
            loader.awaitHeld(); // in the event's hooks' lines: the first call's callbacks' lines wait for them
            assertEquals("patched", late.get());
            assertEachPlacedOrCountedAtTheExit(lines, callbacks, () -> null, loader::close);
        }
    }

    /**
     * As above, one of the two patches' prePatch refusing at the class's first call: its failure's line and the
     * other's callbacks' line follow the event of the hooks, both on record at the exit or counted with it.
     */
    @Test
    void aLateClasssCallbackFailureAndCallbacksLineArePlacedOrCountedWhenTheExitFindsTheThreadHeldAfterTheFirst()
            throws Exception {
        Recorder refusing = new Recorder("cb-two-f-a");
        refusing.failIn = "prePatch";
        refusing.failLoader = "cb-two-f-held";
        PatchHandle a = livepatch().register(latePatch("cb-two-f-a").callbacks(LATE, refusing).build());
        a.enable();
        assertTrue(a.awaitTransition(WAIT));
        PatchHandle b = livepatch().register(latePatch("cb-two-f-b").callbacks(LATE, new Recorder("cb-two-f-b")).build());
        b.enable();
        assertTrue(b.awaitTransition(WAIT));
        HooksLineHold loader = new HooksLineHold("cb-two-f-held");
        String where = LATE + " in class loader " + TestSupport.loaderName(loader);
        String hooked = "ok (" + where + ", defined after the patch was enabled: hooked as it was defined";
        List<String[]> after = List.of(new String[] {"callback", "cb-two-f-a", "failed prePatch of " + where},
                new String[] {"link", "cb-two-f-b", "ok (" + where + ", defined after the patch was enabled: prePatch"
                        + " and postPatch ran at its first call)"});
        List<String[]> lines = new ArrayList<>(List.of(new String[] {"link", "cb-two-f-a", hooked},
                new String[] {"link", "cb-two-f-b", hooked}));
        lines.addAll(after);
        try (loader) {
            Supplier<String> late = lateInstance(loader);
            loader.awaitHeld(); // in the event's hooks' lines: the first call's lines wait for them
            late.get();
            assertEachPlacedOrCountedAtTheExit(lines, after, () -> null, loader::close);
        }
    }

    /** What makes or lets go of the event a test holds the link-audit thread in. */
    private interface Step {
        Object run() throws Exception;
    }

    /**
     * Holds the link-audit thread once it placed a record of {@code holdAfter} (each {operation, patch, outcome's
     * start}), after {@code make} and {@code go} (which lets the thread reach it); runs the exit's pass; then
     * asserts each of {@code lines} is on record, or the exit counted an event as not recorded; and, the thread
     * let go and idle again, that no such record came after the pass.
     */
    private static void assertEachPlacedOrCountedAtTheExit(List<String[]> lines, List<String[]> holdAfter, Step make,
                                                           Runnable go) throws Exception {
        java.time.Instant start = java.time.Instant.now();
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch released = new java.util.concurrent.CountDownLatch(1);
        java.lang.reflect.Field hold = AuditLog.class.getDeclaredField("afterPlaceForTests");
        hold.setAccessible(true);
        hold.set(null, (Runnable) () -> {
            if (held.getCount() > 0 && Thread.currentThread().getName().equals("jlivepatch-link-audit")
                    && holdAfter.stream().anyMatch(l -> indexOf(audit(), l[0], l[1], l[2]) >= 0)) {
                held.countDown();
                try {
                    released.await(30, java.util.concurrent.TimeUnit.SECONDS); // a hang detector, not a timing
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        Object registry = RegistryAccess.get();
        java.lang.reflect.Field f = registry.getClass().getDeclaredField("linkAudit");
        f.setAccessible(true);
        Object linkAudit = f.get(registry);
        java.lang.reflect.Method atExit = linkAudit.getClass().getDeclaredMethod("atExit");
        atExit.setAccessible(true);
        List<AuditLog.Entry> atTheExit;
        try {
            make.run();
            go.run();
            assertTrue(held.await(20, java.util.concurrent.TimeUnit.SECONDS),
                    "the link-audit thread never placed the line it is held after");
            atExit.invoke(linkAudit); // waits its bound for the held thread, then counts what is left
            atTheExit = audit();
            boolean counted = atTheExit.stream().anyMatch(e -> e.operation().equals("audit-gap")
                    && !e.time().isBefore(start) && e.outcome().contains("not recorded before the JVM exited"));
            for (String[] l : lines) {
                assertTrue(counted || indexOf(atTheExit, l[0], l[1], l[2]) >= 0, l[0] + " '" + l[1] + "' " + l[2]
                        + "...: neither on record at the exit nor counted as not recorded: " + atTheExit);
            }
        } finally {
            released.countDown();
            hold.set(null, null);
        }
        Thread thread = LinkAuditOverflowTest.threadNamed("jlivepatch-link-audit");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!parkedInItsLoop(thread) && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        assertTrue(parkedInItsLoop(thread), "the link-audit thread never went idle");
        List<AuditLog.Entry> after = audit();
        for (String[] l : lines) {
            assertEquals(count(atTheExit, l), count(after, l), l[0] + " '" + l[1] + "' " + l[2] + "...: on record"
                    + " after the exit's pass (lost after the drain at a real exit): " + after);
        }
    }

    private static long count(List<AuditLog.Entry> entries, String[] line) {
        return entries.stream().filter(e -> e.operation().equals(line[0]) && e.patch().equals(line[1])
                && e.outcome().startsWith(line[2])).count();
    }

    /**
     * The exit's {@code cut short} line of a late class's callbacks (its prePatch under way) follows the count that
     * says the line of the class's hooks was not recorded, and that line does not come after it: the blocked
     * link-audit thread, once let go, wrote it after the cut-short line, which then read as callbacks cut short
     * for a class hooked only later. The exit's passes (LinkFailureAudit.atExit, then the operations'
     * PatchRegistry.unfinishedAtExit) run here while that thread is held as it names the class's loader.
     */
    @Test
    void aLateClasssCutShortLineAtTheExitIsNotFollowedByTheLineOfItsHooks() throws Exception {
        Recorder r = new Recorder("l");
        PatchHandle h = livepatch().register(latePatch("cb-late-cut").callbacks(LATE, r).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        HooksLineHold loader = new HooksLineHold("cb-cut-held");
        String hooked = "ok (" + LATE + " in class loader " + TestSupport.loaderName(loader) + ", defined after the"
                + " patch was enabled: hooked as it was defined";
        String cut = "cut short: the JVM exited during it (it had not taken effect; its prePatch callback for " + LATE
                + " in class loader " + TestSupport.loaderName(loader) + " was running)";
        Object registry = RegistryAccess.get();
        java.lang.reflect.Field f = registry.getClass().getDeclaredField("linkAudit");
        f.setAccessible(true);
        Object linkAudit = f.get(registry);
        java.lang.reflect.Method atExit = linkAudit.getClass().getDeclaredMethod("atExit");
        atExit.setAccessible(true);
        java.lang.reflect.Method unfinished = registry.getClass().getDeclaredMethod("unfinishedAtExit");
        unfinished.setAccessible(true);
        java.util.concurrent.CountDownLatch inPrePatch = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch letGo = new java.util.concurrent.CountDownLatch(1);
        Thread caller;
        try (loader) {
            Supplier<String> late = lateInstance(loader);
            loader.awaitHeld();
            r.duringPrePatch = () -> {
                inPrePatch.countDown();
                try {
                    letGo.await(30, java.util.concurrent.TimeUnit.SECONDS); // a hang detector, not a timing
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            caller = new Thread(late::get, "cb-late-cut-caller");
            caller.start();
            assertTrue(inPrePatch.await(20, java.util.concurrent.TimeUnit.SECONDS), "the first call's prePatch never ran");
            atExit.invoke(linkAudit); // waits its bound for the held thread, then counts what is left
            unfinished.invoke(registry); // the callbacks under way: cut short
        } finally {
            letGo.countDown();
        }
        caller.join(20_000);
        Thread thread = LinkAuditOverflowTest.threadNamed("jlivepatch-link-audit");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!parkedInItsLoop(thread) && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        assertTrue(parkedInItsLoop(thread), "the link-audit thread never went idle");
        List<AuditLog.Entry> entries = audit();
        int gap = -1;
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).operation().equals("audit-gap")
                    && entries.get(i).outcome().contains("not recorded before the JVM exited")) {
                gap = i;
            }
        }
        int cutShort = indexOf(entries, "link", "cb-late-cut", cut);
        assertTrue(gap >= 0 && cutShort > gap, "the count, then the cut-short line: " + entries);
        int hooks = indexOf(entries, "link", "cb-late-cut", hooked);
        assertTrue(hooks < 0 || hooks < cutShort, "the hooks' line after the cut-short one: " + entries);
    }

    /** Whether the link-audit thread {@code t} is parked in its loop, done with what it was writing. */
    private static boolean parkedInItsLoop(Thread t) {
        if (t.getState() != Thread.State.WAITING) {
            return false;
        }
        StackTraceElement[] stack = t.getStackTrace();
        for (int i = 0; i + 1 < stack.length; i++) {
            if (stack[i].getClassName().equals(java.util.concurrent.locks.LockSupport.class.getName())) {
                return stack[i + 1].getClassName().endsWith(".LinkFailureAudit") && stack[i + 1].getMethodName().equals("run");
            }
        }
        return false;
    }

    /**
     * A late callback holds klpMutex and reports no operation: a module opening made meanwhile (by
     * another class's definition, here by the callback itself) found the lock held, and was left
     * unaudited for good when nothing woke the audit thread after the callback let go (CI, with the
     * in-flight follow-up as the holder: ModuleOpeningsTest).
     */
    @Test
    void anOpeningMadeWhileALateCallbackHoldsTheLockIsAuditedByJlivepatchOnceItLetsGo() throws Exception {
        Recorder r = new Recorder("l");
        PatchHandle h = livepatch().register(latePatch("cb-late-opening").callbacks(LATE, r).build());
        h.enable(); // also starts the thread that audits openings outside operations
        assertTrue(h.awaitTransition(WAIT));
        String pkg = "jlivepatch.test.duringlatecallback";
        r.duringPrePatch = () -> {
            r.duringPrePatch = null;
            io.jlivepatch.internal.ModuleOpenings.opened(String.class.getModule(), pkg,
                    CallbacksTest.class.getModule(), "a test's opening during a late callback");
            try {
                Thread.sleep(200); // lets the audit thread, woken by the opening, find the lock held
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        assertEquals("patched", lateInstance(IsolatingLoader.of("cb-late-opening", LATE)).get());

        java.util.function.Predicate<AuditLog.Entry> opening = e -> e.operation().equals("open")
                && e.patch().startsWith("java.base/" + pkg + " to ");
        for (int i = 0; i < 3000 && audit().stream().noneMatch(opening); i++) {
            Thread.sleep(10); // a hang detector: the audit thread looks again until the lock is free
        }
        AuditLog.Entry e = audit().stream().filter(opening).findFirst()
                .orElseThrow(() -> new AssertionError("not audited: " + audit()));
        assertEquals("ok (outside any operation: a class defined later)", e.outcome());
        assertEquals("jlivepatch", e.requester());
    }

    @Test
    void aClassDefinedWhileEnabledWhosePrePatchThrowsLoadsAndRunsItsOwnCodeAndShowsFailed() throws Exception {
        Recorder r = new Recorder("l");
        r.failIn = "prePatch";
        r.failLoader = "cb-bad";
        PatchHandle h = livepatch().register(latePatch("cb-late-fail").callbacks(LATE, r).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));

        IsolatingLoader bad = IsolatingLoader.of("cb-bad", LATE);
        IsolatingLoader good = IsolatingLoader.of("cb-good", LATE);
        Supplier<String> fromBad = lateInstance(bad);
        Supplier<String> fromGood = lateInstance(good);
        assertEquals("original", fromBad.get(), "its prePatch threw: the class runs its own code");
        assertEquals("original", fromBad.get());
        assertEquals("patched", fromGood.get());
        assertEquals(List.of("l prePatch Late@cb-bad", "l prePatch Late@cb-good", "l postPatch Late@cb-good",
                "call cb-good"), eventsOf("cb-bad", "cb-good"));

        FunctionStatus f = h.functions().get(0);
        FunctionStatus.LoaderStatus failed = statusIn(f, bad);
        assertEquals(FunctionStatus.State.FAILED, failed.state());
        assertTrue(failed.detail().contains("prePatch threw java.lang.IllegalStateException"), failed.detail());
        assertEquals(FunctionStatus.State.PATCHED, statusIn(f, good).state());
        String failure = RegistryAccess.get().lastCallbackFailure(h);
        assertTrue(failure.startsWith("prePatch of cbapp.Late in class loader " + TestSupport.loaderName(bad)), failure);
        // A late class's callback line follows the line of its hooks, which the link-audit thread writes: waited for
        java.util.function.Predicate<AuditLog.Entry> lateFailure = e -> e.operation().equals("callback")
                && e.patch().equals("cb-late-fail") && e.outcome().startsWith("failed prePatch of cbapp.Late");
        assertTrue(auditOnce(l -> l.stream().anyMatch(lateFailure)).stream().anyMatch(lateFailure), audit().toString());

        EVENTS.clear();
        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(List.of("l preUnpatch Late@cb-good", "l postUnpatch Late@cb-good"), eventsOf("cb-bad", "cb-good"),
                "the class that refused was never prepared: no unpatch callbacks");
    }

    /** An Error of the patch's own whose message, and so its toString, throws another (HostilePatchCodeTest's). */
    static final class UnprintablePatchBug extends Error {
        @Override
        public String getMessage() {
            throw new AssertionError("the message of an UnprintablePatchBug");
        }
    }

    /**
     * A later class's prePatch throws an Error whose message throws an Error of its own (an
     * AssertionError): the class is refused and runs its own code, its calls never failing. Before, the
     * refusal's text ('prePatch threw ' + the throwable) caught only RuntimeException, LinkageError and
     * VirtualMachineError: the AssertionError went out of the callbacks' run and into the application's
     * call of the class, the class not refused, and so at every call.
     */
    @Test
    void aLaterClassWhosePrePatchThrowsAnUnprintableErrorRunsItsOwnCodeAndItsCallsNeverFail() throws Exception {
        AtomicReference<ClassLoader> bad = new AtomicReference<>();
        PatchHandle h = livepatch().register(latePatch("cb-late-unprintable").callbacks(LATE, new Callbacks() {
            @Override
            public void prePatch(Class<?> target) {
                if (target.getClassLoader() == bad.get()) {
                    throw new UnprintablePatchBug();
                }
            }
        }).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        IsolatingLoader loader = IsolatingLoader.of("cb-unprintable", LATE);
        bad.set(loader);
        Supplier<String> late = lateInstance(loader);
        assertEquals("original", late.get(), "its prePatch threw: the class runs its own code");
        assertEquals("original", late.get());
        FunctionStatus.LoaderStatus failed = statusIn(h.functions().get(0), loader);
        assertEquals(FunctionStatus.State.FAILED, failed.state());
        assertTrue(failed.detail().contains("prePatch threw " + UnprintablePatchBug.class.getName()), failed.detail());
    }

    /**
     * The callbacks of a class defined later run on whatever application thread first calls it:
     * nobody asked for them, and their failures are on record as jlivepatch's, as a link failure is,
     * never as an application's call of the API ({@code by api}), which it made none of.
     */
    @Test
    void theFailuresOfAClassDefinedLaterAreOnRecordAsJlivepatchsNotTheApplications() throws Exception {
        Recorder r = new Recorder("l");
        r.failIn = "prePatch";
        r.failLoader = "cb-bad-who";
        PatchHandle h = livepatch().register(latePatch("cb-late-who").callbacks(LATE, r).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        Supplier<String> fromBad = lateInstance(IsolatingLoader.of("cb-bad-who", LATE));
        assertEquals("original", fromBad.get(), "its prePatch threw: the class runs its own code");

        r.failIn = "postPatch";
        r.failLoader = "cb-post-who";
        Supplier<String> fromPost = lateInstance(IsolatingLoader.of("cb-post-who", LATE));
        assertEquals("patched", fromPost.get(), "a postPatch that throws stops nothing");

        // A late class's callback lines follow the lines of its hooks, which the link-audit thread writes: waited for
        java.util.function.Predicate<AuditLog.Entry> failure = e -> e.operation().equals("callback")
                && e.patch().equals("cb-late-who");
        List<AuditLog.Entry> failures = auditOnce(l -> l.stream().filter(failure).count() >= 2).stream()
                .filter(failure).toList();
        assertEquals(2, failures.size(), failures.toString());
        assertTrue(failures.get(0).outcome().startsWith("failed prePatch of cbapp.Late"), failures.toString());
        assertTrue(failures.get(1).outcome().startsWith("failed postPatch of cbapp.Late"), failures.toString());
        for (AuditLog.Entry e : failures) {
            assertEquals("jlivepatch", e.requester(), e.toString());
        }
    }

    /**
     * A class defined later whose postPatch, at its first call, cannot be set up (jlivepatch out of memory or stack
     * before calling it): on record as that callback's failure, as jlivepatch's, as one that throws is; the class,
     * prepared, runs the patch. Before, the set-up's Error went out of PatchCallbacks.prepareLate to LateCallbacks'
     * catch: an ERROR line, nothing in the audit log nor in status (callbackFailures unchanged).
     */
    @Test
    void aLaterClassWhosePostPatchCannotBeSetUpHasItOnRecordAsThatCallbacksFailure() throws Exception {
        Recorder r = new Recorder("l");
        PatchHandle h = livepatch().register(latePatch("cb-late-setup").callbacks(LATE, r).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        EVENTS.clear(); // the callbacks of copies of the class other tests' loaders defined
        // From its prePatch: the next set-up is its postPatch's (no transition runs: both at its first call).
        r.duringPrePatch = () -> io.jlivepatch.internal.core.PatchRegistry.failNextCallbackSetUpForTests(
                new OutOfMemoryError("injected"));
        Supplier<String> late = lateInstance(IsolatingLoader.of("cb-late-setup", LATE));
        try {
            assertEquals("patched", late.get());
        } finally {
            r.duringPrePatch = null;
            io.jlivepatch.internal.core.PatchRegistry.failNextCallbackSetUpForTests(null);
        }
        assertEquals(List.of("l prePatch Late@cb-late-setup", "call cb-late-setup"), EVENTS);
        assertEquals(1, RegistryAccess.get().callbackFailures(h));
        String last = RegistryAccess.get().lastCallbackFailure(h);
        assertTrue(last != null && last.startsWith("postPatch of cbapp.Late in class loader ")
                && last.contains(" could not run: jlivepatch's set-up of it threw java.lang.OutOfMemoryError: injected"),
                last);
        java.util.function.Predicate<AuditLog.Entry> failure = e -> e.operation().equals("callback")
                && e.patch().equals("cb-late-setup");
        List<AuditLog.Entry> failures = auditOnce(l -> l.stream().anyMatch(failure)).stream().filter(failure).toList();
        assertEquals(1, failures.size(), failures.toString());
        assertTrue(failures.get(0).outcome().startsWith("failed postPatch of cbapp.Late"), failures.toString());
        assertEquals("jlivepatch", failures.get(0).requester(), failures.toString());
    }

    /**
     * A class defined later whose prePatch, at its first call, cannot be set up (jlivepatch out of memory or stack
     * before calling it): the callback did not run, so the class is neither prepared nor refused; that call passes
     * over the patch's version (none runs before its callbacks), the failure is on record as jlivepatch's (status's
     * count and last failure, a 'callback' line), and the next call runs its prePatch and postPatch and the patch.
     * Before, the set-up's Error went out of PatchCallbacks.prepareLate to LateCallbacks' catch: an ERROR line only,
     * the call unpatched with nothing in status or the audit log to say why.
     */
    @Test
    void aLaterClassWhosePrePatchCannotBeSetUpRunsUnpatchedWithItOnRecordAndItsNextCallRunsIt() throws Exception {
        Recorder r = new Recorder("l");
        PatchHandle h = livepatch().register(latePatch("cb-late-pre-setup").callbacks(LATE, r).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        EVENTS.clear(); // the callbacks of copies of the class other tests' loaders defined
        Supplier<String> late = lateInstance(IsolatingLoader.of("cb-late-pre-setup", LATE));
        io.jlivepatch.internal.core.PatchRegistry.failNextCallbackSetUpForTests(new OutOfMemoryError("injected"));
        try {
            assertEquals("original", late.get(), "no version of the patch runs before its prePatch has");
        } finally {
            io.jlivepatch.internal.core.PatchRegistry.failNextCallbackSetUpForTests(null);
        }
        assertEquals(List.of(), eventsOf("cb-late-pre-setup"));
        assertEquals(1, RegistryAccess.get().callbackFailures(h));
        String last = RegistryAccess.get().lastCallbackFailure(h);
        assertTrue(last != null && last.startsWith("prePatch of cbapp.Late in class loader ")
                && last.contains(" could not run: jlivepatch's set-up of it threw java.lang.OutOfMemoryError: injected")
                && last.endsWith("; a later call of the class runs it"), last);
        java.util.function.Predicate<AuditLog.Entry> failure = e -> e.operation().equals("callback")
                && e.patch().equals("cb-late-pre-setup");
        List<AuditLog.Entry> failures = auditOnce(l -> l.stream().anyMatch(failure)).stream().filter(failure).toList();
        assertEquals(1, failures.size(), failures.toString());
        assertTrue(failures.get(0).outcome().startsWith("failed prePatch of cbapp.Late"), failures.toString());
        assertEquals("jlivepatch", failures.get(0).requester(), failures.toString());

        // Once a class, not once a call: a call that overflows its stack in the set-up every time (or a lasting lack
        // of memory) must not write a line per call, crowding the audit log's other records out.
        io.jlivepatch.internal.core.PatchRegistry.failNextCallbackSetUpForTests(new OutOfMemoryError("injected again"));
        try {
            assertEquals("original", late.get());
        } finally {
            io.jlivepatch.internal.core.PatchRegistry.failNextCallbackSetUpForTests(null);
        }
        assertEquals(1, RegistryAccess.get().callbackFailures(h));
        assertEquals(1, audit().stream().filter(failure).count());

        assertEquals("patched", late.get(), "the next call runs the callbacks, then the patch");
        assertEquals(List.of("l prePatch Late@cb-late-pre-setup", "l postPatch Late@cb-late-pre-setup",
                "call cb-late-pre-setup"), eventsOf("cb-late-pre-setup"));
        assertEquals(1, RegistryAccess.get().callbackFailures(h));
    }

    /**
     * A class defined while two patches of its method are enabled, whose prePatch of the top one
     * throws: from its first call on, the class runs the version of the patch below (never its own
     * code), and in another loader whose prePatch passes, the top one.
     */
    @Test
    void aClassDefinedWhileEnabledWhosePrePatchOfTheTopPatchThrowsRunsTheVersionBelow() throws Exception {
        PatchHandle below = livepatch().register(Patch.builder("cb-late-below").replace(LATE, "get",
                "()Ljava/lang/String;", method(CallbacksTest.class, "lateGetBelow", Object.class)).build());
        below.enable();
        assertTrue(below.awaitTransition(WAIT));
        Recorder r = new Recorder("t");
        r.failIn = "prePatch";
        r.failLoader = "cb-bad-top";
        PatchHandle top = livepatch().register(latePatch("cb-late-top").callbacks(LATE, r).build());
        top.enable();
        assertTrue(top.awaitTransition(WAIT));

        IsolatingLoader bad = IsolatingLoader.of("cb-bad-top", LATE);
        IsolatingLoader good = IsolatingLoader.of("cb-good-top", LATE);
        Supplier<String> fromBad = lateInstance(bad);
        Supplier<String> fromGood = lateInstance(good);
        assertEquals("below", fromBad.get(), "its prePatch threw: the first call runs the version below");
        assertEquals("below", fromBad.get());
        assertEquals("patched", fromGood.get());
        assertEquals(FunctionStatus.State.FAILED, statusIn(top.functions().get(0), bad).state());
        assertEquals(FunctionStatus.State.PATCHED, statusIn(below.functions().get(0), bad).state());

        top.disable();
        assertTrue(top.awaitTransition(WAIT));
        assertEquals("below", fromBad.get());
        assertEquals("below", fromGood.get());
        top.unregister();
        below.disable();
        assertTrue(below.awaitTransition(WAIT));
        below.unregister();
        assertEquals("original", fromBad.get());
    }

    @Test
    void failuresOfTheOtherCallbacksAreLoggedAndReportedAndStopNothing() throws Exception {
        Recorder r = new Recorder("p");
        PatchHandle h = livepatch().register(cachePatch("cb-other-fail").callbacks("cbapp.Cache", r).build());
        assertNull(RegistryAccess.get().lastCallbackFailure(h));
        r.failIn = "postPatch";
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        assertTrue(h.isEnabled());
        assertEquals("patched", new Cache().get());
        assertTrue(RegistryAccess.get().lastCallbackFailure(h).startsWith("postPatch of cbapp.Cache in class loader "),
                RegistryAccess.get().lastCallbackFailure(h));
        assertTrue(audit().stream().anyMatch(e -> e.operation().equals("callback")
                && e.outcome().startsWith("failed postPatch of cbapp.Cache")), audit().toString());

        r.failIn = "preUnpatch";
        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        assertFalse(h.isEnabled());
        assertTrue(RegistryAccess.get().lastCallbackFailure(h).startsWith("preUnpatch of"));
        r.failIn = "postUnpatch";
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        assertTrue(RegistryAccess.get().lastCallbackFailure(h).startsWith("postUnpatch of"));
        assertEquals("original", new Cache().get());
        assertEquals(List.of("p prePatch Cache", "p postPatch Cache", "p preUnpatch Cache", "p postUnpatch Cache",
                "p prePatch Cache", "p postPatch Cache", "p preUnpatch Cache", "p postUnpatch Cache"), EVENTS);
    }

    @Test
    void aClosingCallbacksFailureIsRecordedAfterTheOperationAndBeforeTheEndOfTheTransition() throws Exception {
        Recorder r = new Recorder("p");
        PatchHandle h = livepatch().register(cachePatch("cb-fail-order").callbacks("cbapp.Cache", r).build());
        r.failIn = "postPatch";
        h.enable(); // nothing holds it: its transition ends, and postPatch fails, inside the enable
        assertTrue(h.awaitTransition(WAIT));
        List<String> mine = new ArrayList<>();
        // By name, not from an index taken before: the in-memory log is bounded, so in the whole suite's JVM
        // its oldest entries go as these come.
        for (AuditLog.Entry e : audit()) {
            if (e.patch().equals("cb-fail-order") && !e.operation().equals("register")) {
                mine.add(e.operation() + ": " + e.outcome().split(" of ")[0]);
            }
        }
        // The failure is one of the change's effects: after the line that says the change began, and
        // before the one that says it is complete, which follows the closing callbacks as the kernel's
        // "patching complete" follows its post_patch callbacks.
        assertEquals(List.of("enable: ok", "callback: failed postPatch", "transition: ok (patching complete)"), mine);
    }

    /**
     * An Error thrown by a callback's set-up after its first write (a StackOverflowError, an OutOfMemoryError in
     * the words for status) is undone with the rest: the thread is no longer taken for one inside a callback, so
     * that its next life-cycle call is not refused as a callback's, and it is no longer marked. Before, the
     * set-up ran outside the try that undoes it: a stale "postPatch of cbapp.Cache" refused the disable.
     */
    @ParameterizedTest
    @ValueSource(strings = {"OutOfMemoryError", "StackOverflowError"})
    void anErrorInACallbacksSetUpLeavesNoCallbackRunningBehind(String error) throws Exception {
        Recorder r = new Recorder("s");
        // From the prePatch: the next callback's set-up, postPatch's at the end of the enable's transition, fails.
        r.duringPrePatch = () -> io.jlivepatch.internal.core.PatchRegistry.failNextCallbackSetUpForTests(
                error.equals("OutOfMemoryError") ? new OutOfMemoryError("injected") : new StackOverflowError("injected"));
        PatchHandle h = livepatch().register(cachePatch("cb-setup-" + error).callbacks("cbapp.Cache", r).build());
        h.enable(); // nothing holds it: its transition ends inside the enable, whose postPatch set-up fails
        r.duringPrePatch = null;
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(List.of("s prePatch Cache"), EVENTS, "the postPatch itself never ran");
        assertFalse(io.jlivepatch.internal.patch.RecursionGuard.inside(), "the thread is not left marked");
        h.disable(); // refused ILLEGAL_STATE 'from a callback (postPatch of cbapp.Cache)' before
        assertTrue(h.awaitTransition(WAIT));
        assertFalse(h.isEnabled());
        assertEquals(List.of("s prePatch Cache", "s preUnpatch Cache", "s postUnpatch Cache"), EVENTS);
    }

    /**
     * A callback that interrupts the thread it runs on: on the application's own call the interrupt is
     * the application's and stays; on a command's thread (the socket's, JMX's, the watch's) it is the
     * callback's alone, and goes: that thread's next wait or socket write would act on it (the watch
     * ended, the command's answer was lost: WatchThreadTest, ControlSocketTest).
     */
    @Test
    void anInterruptACallbackLeavesStaysOnTheApplicationsCallOnlyNotOnACommands() throws Exception {
        Recorder r = new Recorder("i");
        r.duringPrePatch = () -> Thread.currentThread().interrupt();
        PatchHandle h = livepatch().register(cachePatch("cb-interrupting").callbacks("cbapp.Cache", r).build());
        String before = io.jlivepatch.internal.core.Requester.enter("pid 1 user test");
        try {
            h.enable();
        } finally {
            io.jlivepatch.internal.core.Requester.restore(before);
        }
        assertFalse(Thread.interrupted(), "a command's thread is left as the callback found it");
        assertTrue(h.awaitTransition(WAIT));
        h.disable();
        assertTrue(h.awaitTransition(WAIT));

        h.enable();
        assertTrue(Thread.interrupted(), "the application's own call keeps what its callback did");
        assertTrue(h.awaitTransition(WAIT));
        h.disable();
        assertTrue(h.awaitTransition(WAIT));

        Thread.currentThread().interrupt(); // an interrupt the command's thread had before stays
        before = io.jlivepatch.internal.core.Requester.enter("pid 1 user test");
        try {
            r.duringPrePatch = Thread::interrupted;
            h.enable();
        } finally {
            io.jlivepatch.internal.core.Requester.restore(before);
        }
        assertTrue(Thread.interrupted(), "one set before the callback ran is put back");
        assertTrue(h.awaitTransition(WAIT));
    }

    /**
     * A context class loader a callback sets stays on the application's own call, and is put back on a
     * command's thread: the watch's or a session's next operations would look services up through it,
     * and it would keep an unloaded patch's classes alive.
     */
    @Test
    void aContextClassLoaderACallbackSetsStaysOnTheApplicationsCallOnly() throws Exception {
        ClassLoader callbacks = new java.net.URLClassLoader(new java.net.URL[0], null);
        Recorder r = new Recorder("l");
        r.duringPrePatch = () -> Thread.currentThread().setContextClassLoader(callbacks);
        PatchHandle h = livepatch().register(cachePatch("cb-context").callbacks("cbapp.Cache", r).build());
        ClassLoader mine = Thread.currentThread().getContextClassLoader();
        try {
            String before = io.jlivepatch.internal.core.Requester.enter("pid 1 user test");
            try {
                h.enable();
            } finally {
                io.jlivepatch.internal.core.Requester.restore(before);
            }
            assertSame(mine, Thread.currentThread().getContextClassLoader(), "a command's thread is left as it was");
            assertTrue(h.awaitTransition(WAIT));
            h.disable();
            assertTrue(h.awaitTransition(WAIT));

            h.enable();
            assertSame(callbacks, Thread.currentThread().getContextClassLoader(),
                    "the application's own call keeps what its callback did");
            assertTrue(h.awaitTransition(WAIT));
        } finally {
            Thread.currentThread().setContextClassLoader(mine);
        }
    }

    @Test
    void aCallbackThatDoesNotReturnKeepsOtherOperationsOutWithBusyNotForEver() throws Exception {
        java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Recorder r = new Recorder("p");
        r.duringPrePatch = () -> { // a callback stuck on something that never comes, until the test says
            inside.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        PatchHandle h = livepatch().register(cachePatch("cb-stuck").callbacks("cbapp.Cache", r).build());
        PatchHandle other = livepatch().register(Patch.builder("cb-waiting")
                .replace(method(Store.class, "get"), method(CallbacksTest.class, "storeGet", Object.class)).build());
        Thread enabling = new Thread(() -> {
            try {
                h.enable();
            } catch (PatchException e) {
                throw new AssertionError(e);
            }
        }, "enabling-cb-stuck\n\u202e"); // the application names its threads: a line break and a bidi control
        enabling.start();
        inside.await();
        io.jlivepatch.internal.core.PatchRegistry.lockWaitForTests(Duration.ofMillis(300));
        try {
            // A command's request (the control socket's requester): it waits a bounded time.
            String before = io.jlivepatch.internal.core.Requester.enter("pid 1 user test");
            PatchException busy;
            try {
                busy = assertThrows(PatchException.class, other::enable);
            } finally {
                io.jlivepatch.internal.core.Requester.restore(before);
            }
            assertEquals(PatchException.Reason.BUSY, busy.reason());
            assertTrue(busy.getMessage().startsWith("cannot enable patch 'cb-waiting': 'enable' of patch 'cb-stuck'"
                    + " has held jlivepatch's lock for "), busy.getMessage());
            // escaped (README, "Clean text"): the refusal stays one line for its caller and the log
            assertTrue(busy.getMessage().contains(" (thread '" + io.jlivepatch.internal.Text.clean("enabling-cb-stuck\n\u202e")
                    + "', now in io.jlivepatch.CallbacksTest"), busy.getMessage());
            assertFalse(busy.getMessage().contains("\n") || busy.getMessage().contains("\u202e"), busy.getMessage());
            assertFalse(other.isEnabled());
            assertFalse(h.awaitTransition(Duration.ofMillis(300)), "a waiter gives up too");
        } finally {
            io.jlivepatch.internal.core.PatchRegistry.lockWaitForTests(Duration.ofSeconds(10));
            release.countDown();
            enabling.join(10_000);
        }
        assertTrue(h.awaitTransition(WAIT));
        assertTrue(h.isEnabled());
        other.enable(); // and everything works again once the callback returns
        assertTrue(other.awaitTransition(WAIT));
        assertEquals("patched store", new Store().get());
    }

    @Test
    void aLateCallbackThatDoesNotReturnIsNamedByTheBusyOfACommand() throws Exception {
        java.util.concurrent.CountDownLatch inside = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Recorder r = new Recorder("l");
        PatchHandle h = livepatch().register(latePatch("cb-late-stuck").callbacks(LATE, r).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        PatchHandle other = livepatch().register(Patch.builder("cb-late-waiting")
                .replace(method(Store.class, "get"), method(CallbacksTest.class, "storeGet", Object.class)).build());
        r.duringPrePatch = () -> { // the class's first call runs its prePatch: stuck until the test says
            inside.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        Supplier<String> late = lateInstance(IsolatingLoader.of("cb-late-stuck-one", LATE));
        AtomicReference<String> answer = new AtomicReference<>();
        Thread caller = new Thread(() -> answer.set(late.get()), "first-call-of-late");
        caller.start();
        inside.await();
        io.jlivepatch.internal.core.PatchRegistry.lockWaitForTests(Duration.ofMillis(300));
        try {
            String before = io.jlivepatch.internal.core.Requester.enter("pid 1 user test");
            PatchException busy;
            try {
                busy = assertThrows(PatchException.class, other::enable);
            } finally {
                io.jlivepatch.internal.core.Requester.restore(before);
            }
            assertEquals(PatchException.Reason.BUSY, busy.reason());
            assertTrue(busy.getMessage().startsWith("cannot enable patch 'cb-late-waiting': running the callbacks of"
                    + " class cbapp.Late at its first call has held jlivepatch's lock for "),
                    busy.getMessage());
            assertTrue(busy.getMessage().contains(" (thread 'first-call-of-late', now in io.jlivepatch.CallbacksTest"),
                    busy.getMessage());
            assertFalse(other.isEnabled());
        } finally {
            io.jlivepatch.internal.core.PatchRegistry.lockWaitForTests(Duration.ofSeconds(10));
            r.duringPrePatch = null;
            release.countDown();
            caller.join(10_000);
        }
        assertEquals("patched", answer.get());
        other.enable(); // the holder is gone with the callbacks: everything works again
        assertTrue(other.awaitTransition(WAIT));
        assertEquals("patched store", new Store().get());
    }

    @Test
    void aCommandFromAnInterruptedThreadIsNotRefusedWhenTheLockIsFree() throws Exception {
        PatchHandle h = livepatch().register(cachePatch("cb-interrupted").build());
        String before = io.jlivepatch.internal.core.Requester.enter("pid 1 user test");
        Thread.currentThread().interrupt(); // an executor's thread after shutdownNow, say
        try {
            h.enable(); // the lock is free: taken, no BUSY
        } finally {
            assertTrue(Thread.interrupted(), "the interrupt is left to its owner");
            io.jlivepatch.internal.core.Requester.restore(before);
        }
        assertTrue(h.awaitTransition(WAIT));
        assertTrue(h.isEnabled());
    }

    @Test
    void aCallbackCannotStartALifeCycleOperation() throws Exception {
        Recorder r = new Recorder("p");
        PatchHandle h = livepatch().register(cachePatch("cb-reentry").callbacks("cbapp.Cache", r).build());
        PatchHandle other = livepatch().register(Patch.builder("cb-other")
                .replace(method(Store.class, "get"), method(CallbacksTest.class, "storeGet", Object.class)).build());
        AtomicReference<PatchException> refused = new AtomicReference<>();
        r.duringPrePatch = () -> {
            try {
                other.enable(); // would be allowed after h's enable; from h's own callback it is not
            } catch (PatchException e) {
                refused.set(e);
            }
        };
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        assertNotNull(refused.get());
        assertEquals(PatchException.Reason.ILLEGAL_STATE, refused.get().reason());
        assertTrue(refused.get().getMessage().contains("from a callback (prePatch of cbapp.Cache)"),
                refused.get().getMessage());
        assertFalse(other.isEnabled());
        assertTrue(h.isEnabled());
    }

    @ParameterizedTest
    @ValueSource(strings = {"register", "load", "enable", "unregister", "force"})
    void aLifeCycleCallFromAClosingCallbackOnTheTransitionWorkerIsRefusedAtOnceAndChangesNothing(String call)
            throws Exception {
        PatchHandle h = livepatch().register(heldPatch("cb-worker").callbacks(Held.class.getName(), new Callbacks() {
            @Override
            public void postPatch(Class<?> target) {
                onWorker.set(Thread.currentThread().getName());
                try {
                    lifeCycleCall(call);
                } catch (Throwable t) {
                    refusedOnWorker.set(t);
                }
            }
        }).build());
        PatchHandle other = livepatch().register(Patch.builder("cb-worker-other")
                .replace(method(Store.class, "get"), method(CallbacksTest.class, "storeGet", Object.class)).build());
        callTargets = new PatchHandle[] {h, other};
        Thread old = heldInWork(); // the transition ends on the worker once it is let go of
        h.enable();
        assertTrue(h.inTransition());
        int audited = audit().size();
        release(old);
        assertTrue(h.awaitTransition(WAIT), "the closing callback returned and the transition ended");
        assertEquals("jlivepatch-transition", onWorker.get());
        Throwable refused = refusedOnWorker.get();
        assertTrue(refused instanceof PatchException, String.valueOf(refused));
        assertEquals(PatchException.Reason.ILLEGAL_STATE, ((PatchException) refused).reason());
        assertTrue(refused.getMessage().contains("from a callback (postPatch of cbapp.Held)"), refused.getMessage());
        assertTrue(audit().subList(audited, audit().size()).stream().anyMatch(e -> e.outcome().startsWith(
                "refused ILLEGAL_STATE") && e.outcome().contains("from a callback")), audit().toString());
        // Nothing changed, and the same call from the application's thread works.
        assertEquals(List.of("cb-worker", "cb-worker-other"), livepatch().patches().stream().map(PatchHandle::name).toList());
        assertTrue(h.isEnabled() && !h.inTransition() && !other.isEnabled());
        assertEquals("new", Held.work());
        if (!call.equals("force")) { // nothing to force once the transition has ended
            lifeCycleCall(call);
        }
    }

    private final AtomicReference<String> onWorker = new AtomicReference<>();
    private final AtomicReference<Throwable> refusedOnWorker = new AtomicReference<>();
    private volatile PatchHandle[] callTargets;
    @TempDir
    Path jars;

    /** One life-cycle call of the API: the patch with the callback is callTargets[0], the other one [1]. */
    private void lifeCycleCall(String call) throws Exception {
        switch (call) {
            case "register" -> livepatch().register(cachePatch("cb-worker-new").build());
            case "load" -> livepatch().load(io.jlivepatch.jar.Jars.write(jars.resolve("cb-worker-jar.jar"),
                    io.jlivepatch.jar.Jars.manifest("cb-worker-jar", "jarapp.fix.CounterFix"),
                    io.jlivepatch.jar.Jars.classes("jarapp.fix.CounterFix")));
            case "enable" -> callTargets[1].enable();
            case "unregister" -> callTargets[1].unregister();
            case "force" -> callTargets[0].forceTransition();
            default -> throw new IllegalArgumentException(call);
        }
    }

    @Test
    void aLateCallbackThatAwaitsItsOwnTransitionNeitherLetsGoOfTheLockNorLosesItsPostPatch() throws Exception {
        Recorder r = new Recorder("l");
        PatchHandle h = livepatch().register(latePatch("cb-late-await")
                .replace(method(Held.class, "work"), method(CallbacksTest.class, "work"))
                .callbacks(LATE, r).build());
        Thread old = heldInWork(); // holds the enable's transition open
        h.enable();
        assertTrue(h.inTransition());
        AtomicReference<Boolean> awaited = new AtomicReference<>();
        r.duringPrePatch = () -> {
            Hold.release(old); // the transition could end now, but only under the lock this callback runs under
            try {
                awaited.set(h.awaitTransition(WAIT));
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        };
        IsolatingLoader loader = IsolatingLoader.of("cb-late-await", LATE);
        Supplier<String> late = lateInstance(loader);
        assertEquals("patched", late.get()); // its first call runs its prePatch, which awaits
        assertEquals(Boolean.FALSE, awaited.get(), "the transition cannot end while its lock is held by the callback");
        assertTrue(h.awaitTransition(WAIT));
        // The call and the transition's end (on the worker) run in either order once the callback returned.
        List<String> events = eventsOf("cb-late-await");
        assertEquals("l prePatch Late@cb-late-await", events.get(0), events.toString());
        assertEquals(3, events.size(), events.toString());
        assertTrue(events.contains("call cb-late-await"), events.toString());
        assertTrue(events.contains("l postPatch Late@cb-late-await"),
                "the class prepared during the transition gets its postPatch at its end: " + events);
    }

    /**
     * A closing callback that awaits its own patch's transition: the transition has ended, but the
     * closing callbacks (this one, and the next class's) have not all run, and awaitTransition's true
     * says they have. Before, it answered true at once, the next class's postPatch not run yet.
     */
    @Test
    void awaitTransitionFromItsOwnClosingCallbackAnswersFalseUntilTheyHaveAllRun() throws Exception {
        Recorder store = new Recorder("p");
        List<String> answers = Collections.synchronizedList(new ArrayList<>());
        PatchHandle[] self = new PatchHandle[1];
        Callbacks cache = new Callbacks() {
            @Override
            public void postPatch(Class<?> target) {
                answer("postPatch");
            }

            @Override
            public void postUnpatch(Class<?> target) {
                answer("postUnpatch");
            }

            private void answer(String kind) {
                try {
                    answers.add(kind + " " + self[0].awaitTransition(WAIT) + " after " + List.copyOf(EVENTS));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        };
        PatchHandle h = livepatch().register(cacheAndStorePatch("cb-await-closing")
                .callbacks("cbapp.Cache", cache).callbacks("cbapp.Store", store).build());
        self[0] = h;
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(List.of("postPatch false after [p prePatch Store]",
                "postUnpatch false after [p prePatch Store, p postPatch Store, p preUnpatch Store]"), answers);
        assertEquals(List.of("p prePatch Store", "p postPatch Store", "p preUnpatch Store", "p postUnpatch Store"), EVENTS);
        assertEquals(null, RegistryAccess.get().lastCallbackFailure(h));
    }

    /**
     * The postUnpatch calls that undo a refused enable (a later class's prePatch threw) close that enable
     * as a transition's closing callbacks close it: an awaitTransition of the patch from one of them
     * answers false, as from a closing callback, since the enable has not returned and the other prepared
     * classes' postUnpatch may still be to come. Before, it answered true at once (no transition of the
     * patch was running), while the enable was still being undone.
     */
    @Test
    void awaitTransitionFromThePostUnpatchOfARefusedEnableAnswersFalseUntilTheEnableIsUndone() throws Exception {
        Recorder store = new Recorder("p");
        store.failIn = "prePatch";
        List<String> answers = Collections.synchronizedList(new ArrayList<>());
        PatchHandle[] self = new PatchHandle[1];
        Callbacks cache = new Callbacks() {
            @Override
            public void prePatch(Class<?> target) {
                EVENTS.add("p prePatch Cache");
            }

            @Override
            public void postUnpatch(Class<?> target) {
                try {
                    answers.add("postUnpatch " + self[0].awaitTransition(WAIT) + " after " + List.copyOf(EVENTS));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        };
        PatchHandle h = livepatch().register(cacheAndStorePatch("cb-await-refused")
                .callbacks("cbapp.Cache", cache).callbacks("cbapp.Store", store).build());
        self[0] = h;
        PatchException e = assertThrows(PatchException.class, h::enable);
        assertEquals(PatchException.Reason.CALLBACK_FAILED, e.reason());
        assertEquals(List.of("postUnpatch false after [p prePatch Cache, p prePatch Store]"), answers);
        assertTrue(h.awaitTransition(WAIT), "once the enable is undone, nothing is in transition");
        assertFalse(h.isEnabled());
        assertEquals("original", new Cache().get());
    }

    /**
     * An enable's prePatch and a disable's preUnpatch come before their transition: an awaitTransition of
     * the patch from one of them answers false, as from a closing callback. Before, it answered true at
     * once (no transition of the patch was running): from a prePatch, "every thread runs the patched
     * code" of a patch whose enable had not even started its transition.
     */
    @Test
    void awaitTransitionFromItsOwnOpeningCallbacksAnswersFalse() throws Exception {
        List<String> answers = Collections.synchronizedList(new ArrayList<>());
        PatchHandle[] self = new PatchHandle[1];
        Callbacks store = new Callbacks() {
            @Override
            public void prePatch(Class<?> target) {
                answers.add("prePatch " + await(self[0]) + " enabled " + self[0].isEnabled());
            }

            @Override
            public void preUnpatch(Class<?> target) {
                answers.add("preUnpatch " + await(self[0]));
            }
        };
        PatchHandle h = livepatch().register(cachePatch("cb-await-opening")
                .replace(method(Store.class, "get"), method(CallbacksTest.class, "storeGet", Object.class))
                .callbacks("cbapp.Store", store).build());
        self[0] = h;
        h.enable();
        assertTrue(h.awaitTransition(WAIT), "asked from the test's thread, it waits as before");
        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(List.of("prePatch false enabled false", "preUnpatch false"), answers);
    }

    private static boolean await(PatchHandle h) {
        try {
            return h.awaitTransition(WAIT);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** What a buggy callback may throw: an exception whose message fails to render, as its toString() then does. */
    static final class Unprintable extends RuntimeException {
        @Override
        public String getMessage() {
            throw new NullPointerException("the message of an Unprintable");
        }
    }

    @Test
    void aCallbackExceptionWhoseTextFailsIsStillItsFailureAndStopsNoOtherClassesCallbacks() throws Exception {
        Recorder store = new Recorder("p");
        Callbacks cache = new Callbacks() {
            @Override
            public void postPatch(Class<?> target) {
                throw new Unprintable();
            }

            @Override
            public void postUnpatch(Class<?> target) {
                throw new Unprintable();
            }
        };
        PatchHandle h = livepatch().register(cachePatch("cb-unprintable")
                .replace(method(Store.class, "get"), method(CallbacksTest.class, "storeGet", Object.class))
                .callbacks("cbapp.Cache", cache).callbacks("cbapp.Store", store).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(List.of("p prePatch Store", "p postPatch Store"), EVENTS, "Store's postPatch runs after Cache's failed");
        String failure = RegistryAccess.get().lastCallbackFailure(h);
        assertNotNull(failure);
        assertTrue(failure.startsWith("postPatch of cbapp.Cache in class loader "), failure);
        assertTrue(failure.contains(Unprintable.class.getName()), failure);
        assertTrue(audit().stream().anyMatch(e -> e.operation().equals("callback")
                && e.outcome().startsWith("failed postPatch of cbapp.Cache")), audit().toString());

        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(List.of("p prePatch Store", "p postPatch Store", "p preUnpatch Store", "p postUnpatch Store"), EVENTS);
        assertTrue(RegistryAccess.get().lastCallbackFailure(h).startsWith("postUnpatch of cbapp.Cache"),
                RegistryAccess.get().lastCallbackFailure(h));
    }

    @Test
    void callbacksForAClassThePatchReplacesNoMethodOfAreRefusedAtRegister() {
        List<PatchHandle> before = livepatch().patches();
        PatchException e = TestSupport.refusedRegistration(cachePatch("cb-not-target")
                .callbacks("cbapp.Store", new Recorder("p")).build());
        assertEquals(PatchException.Reason.INVALID_PATCH, e.reason());
        assertTrue(e.getMessage().contains("has callbacks for cbapp.Store, which it replaces no method of"),
                e.getMessage());
        assertEquals(before, livepatch().patches());
        assertEquals(List.of(), EVENTS);
    }

    @Test
    void callbacksTwiceForOneClassAreRefusedByTheBuilder() {
        Patch.Builder b = cachePatch("cb-twice").callbacks("cbapp.Cache", new Recorder("p"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.callbacks("cbapp.Cache", new Recorder("q")));
        assertTrue(e.getMessage().contains("has callbacks for cbapp.Cache already"), e.getMessage());
    }
}
