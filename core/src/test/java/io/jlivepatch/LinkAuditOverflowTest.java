package io.jlivepatch;

import io.jlivepatch.internal.core.AuditLog;
import io.jlivepatch.internal.patch.HookLedger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The link-audit thread's queue is bounded: while the thread is blocked (here in an audit record, on the
 * audit log's monitor, which the test holds), the classes defined after the patch was enabled are hooked
 * all the same, their defining threads never wait nor fail, and the events beyond the bound are counted;
 * once the thread catches up, one warning and one record say how many were not recorded, of which kind,
 * since when and why. Before, the queue grew without limit. Deterministic: the bound is lowered to 4,
 * the thread is seen blocked with the first event in hand before the others are made.
 */
class LinkAuditOverflowTest {

    private static final String TARGET = "testapp.lateaudit.AuditedOverflow";
    private static final int BOUND = 4;

    @AfterEach
    void cleanUp() throws Exception {
        ledgerBound().setInt(ledger(), HookLedger.MAX_QUEUED_FAILURES);
        TestSupport.removeAllPatches();
    }

    public static String fits(Object receiver) {
        return "fits";
    }

    private static HookLedger ledger() throws ReflectiveOperationException {
        Field hooks = RegistryAccess.get().getClass().getDeclaredField("hooks");
        hooks.setAccessible(true);
        return ((io.jlivepatch.internal.patch.HookManager) hooks.get(RegistryAccess.get())).ledger();
    }

    /**
     * Waits until the link-audit thread has taken every event queued so far (an earlier test's, the
     * register's). A hold keeps back only the events queued after it began: one queued before it, still
     * there when the hold begins, is taken during it and makes room under the bound for one more held
     * event, so fewer are dropped than the test counts (under load, 2 of 10 runs). A hang detector, not a
     * timing: the queue's count is the condition.
     */
    private static void awaitQueueTaken() throws Exception {
        Field f = HookLedger.class.getDeclaredField("queuedFailures");
        f.setAccessible(true);
        java.util.concurrent.atomic.AtomicInteger queued = (java.util.concurrent.atomic.AtomicInteger) f.get(ledger());
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (queued.get() > 0 && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        assertEquals(0, queued.get(), "the link-audit thread took what was queued before the test");
    }

    private static Field ledgerBound() throws NoSuchFieldException {
        Field f = HookLedger.class.getDeclaredField("failureBound");
        f.setAccessible(true);
        return f;
    }

    @SuppressWarnings("unchecked")
    private static String defineAndCall(String loaderName) throws ReflectiveOperationException {
        IsolatingLoader loader = IsolatingLoader.of(loaderName, TARGET);
        return ((Supplier<String>) loader.define(TARGET).getDeclaredConstructor().newInstance()).get();
    }

    private static List<AuditLog.Entry> entries(String operation, String patch) {
        return RegistryAccess.get().audit().entries().stream()
                .filter(e -> e.operation().equals(operation) && e.patch().equals(patch)).toList();
    }

    /** Runs {@code body} on a thread of its own, which must end within 20 s (a hang detector): what it threw, or null. */
    private static Throwable onItsOwnThread(String name, ThrowingRunnable body) throws InterruptedException {
        Throwable[] thrown = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                thrown[0] = e;
            }
        }, name);
        t.start();
        t.join(Duration.ofSeconds(20).toMillis());
        assertFalse(t.isAlive(), name + " waited: a defining thread must never wait for the link-audit thread");
        return thrown[0];
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void eventsBeyondTheBoundAreCountedAndPutOnRecordOnceTheWriterCatchesUp() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("audit-overflow")
                .replace(TARGET, "get", "()Ljava/lang/String;", method(LinkAuditOverflowTest.class, "fits", Object.class))
                .build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
        ledgerBound().setInt(ledger(), BOUND);
        Thread auditThread = threadNamed("jlivepatch-link-audit");
        List<String> warnings = warnings();
        List<AuditLog.Entry> gapsBefore = entries("audit-gap", "link");
        Instant before = Instant.now();
        List<String> got = new CopyOnWriteArrayList<>();
        AuditLog audit = RegistryAccess.get().audit();
        try {
            synchronized (audit) {
                assertNull(onItsOwnThread("define-first", () -> got.add(defineAndCall("overflow-0"))));
                // its event reaches the audit thread, which then waits for this monitor to record it
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (!blockedInRecord(auditThread)) {
                    assertTrue(System.nanoTime() - deadline < 0, "the link-audit thread never got to the first event");
                    LockSupport.parkNanos(1_000_000);
                }
                // BOUND events queued behind it, then 3 more the full queue does not take
                assertNull(onItsOwnThread("define-more", () -> {
                    for (int i = 1; i <= BOUND + 3; i++) {
                        got.add(defineAndCall("overflow-" + i));
                    }
                }));
                assertEquals(BOUND + 4, got.size());
                assertTrue(got.stream().allMatch("fits"::equals), "every copy hooked as it was defined: " + got);
                assertEquals(List.of(), gapsSince(gapsBefore), "nothing said while the thread is blocked");
            }
            List<AuditLog.Entry> gaps = awaitGap(gapsBefore);
            assertEquals(1, gaps.size(), gaps.toString());
            String outcome = gaps.get(0).outcome();
            String prefix = "3 link events were not recorded since ";
            assertTrue(outcome.startsWith(prefix), outcome);
            Instant since = Instant.parse(outcome.substring(prefix.length(), outcome.indexOf(": ")));
            assertFalse(since.isBefore(before.minusMillis(1)) || since.isAfter(Instant.now()), since + " " + before);
            assertTrue(outcome.endsWith(": 3 classes hooked as they were defined (no 'applying patch' line nor link record"
                    + " for them: jlivepatch's link-audit thread was blocked, writing the log or an audit record, while 4"
                    + " events waited for it; 'jlivepatch status' shows what each function runs in each class loader)"),
                    outcome);
            assertEquals("jlivepatch", gaps.get(0).requester());
            // The events the queue took are on record, before the gap's record
            List<AuditLog.Entry> links = entries("link", "audit-overflow");
            assertEquals(BOUND + 1, links.size(), links.toString());
            for (int i = 0; i <= BOUND; i++) {
                assertTrue(links.get(i).outcome().startsWith("ok (" + TARGET + " in class loader overflow-" + i + "@"),
                        links.get(i).toString());
            }
            List<AuditLog.Entry> all = audit.entries();
            assertTrue(all.indexOf(links.get(BOUND)) < all.indexOf(gaps.get(0)), all.toString());
            assertEquals(List.of("link audit: " + outcome), warnings.stream().filter(w -> w.startsWith("link audit")).toList());
        } finally {
            TestSupport.JLIVEPATCH_LOG.removeHandler(warningHandler);
        }
    }

    /**
     * The queue full of events held back behind an operation's line (classes its own postPatch defines,
     * hooked as they are defined, whose records must come after the enable's line), not of events the
     * link-audit thread was too slow for: the warning and the record say so, naming the operation.
     * Deterministic: the events are made inside the enable, whose hold keeps the thread from taking any.
     */
    @Test
    void eventsHeldBehindAnOperationBeyondTheBoundAreSaidToHaveWaitedForItsLine() throws Exception {
        String held = testapp.lateaudit.AuditedHeld.class.getName(); // loaded here: its postPatch runs in the enable
        List<Supplier<String>> copies = new CopyOnWriteArrayList<>();
        PatchHandle h = livepatch().register(Patch.builder("audit-held")
                .replace(method(testapp.lateaudit.AuditedHeld.class, "get"),
                        method(LinkAuditOverflowTest.class, "fits", Object.class))
                .callbacks(held, new Callbacks() {
                    @Override
                    public void postPatch(Class<?> target) {
                        if (target != testapp.lateaudit.AuditedHeld.class) {
                            return; // a copy's own, at its first call
                        }
                        // the hooks are the patch's, the enable's line not made yet: every copy's event is held
                        try {
                            for (int i = 0; i < BOUND + 3; i++) {
                                IsolatingLoader loader = IsolatingLoader.of("held-" + i, held);
                                @SuppressWarnings("unchecked")
                                Supplier<String> s = (Supplier<String>) loader.define(held).getDeclaredConstructor()
                                        .newInstance();
                                copies.add(s); // called after: a callback's own calls run the originals
                            }
                        } catch (ReflectiveOperationException e) {
                            throw new AssertionError(e);
                        }
                    }
                })
                .build());
        ledgerBound().setInt(ledger(), BOUND);
        awaitQueueTaken();
        List<String> warnings = warnings();
        List<AuditLog.Entry> gapsBefore = entries("audit-gap", "link");
        try {
            h.enable();
            assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
            List<String> got = copies.stream().map(Supplier::get).toList();
            assertEquals(BOUND + 3, got.size());
            assertTrue(got.stream().allMatch("fits"::equals), "every copy hooked as it was defined: " + got);
            List<AuditLog.Entry> gaps = awaitGap(gapsBefore);
            assertEquals(1, gaps.size(), gaps.toString());
            String outcome = gaps.get(0).outcome();
            assertTrue(outcome.startsWith("3 link events were not recorded since "), outcome);
            assertTrue(outcome.endsWith(": 3 classes hooked as they were defined (no 'applying patch' line nor link"
                    + " record for them: 4 events waited, held back behind the line of operation 'enable audit-held"
                    + " by api' until it was made (a class an operation hooks is on record after its line); 'jlivepatch"
                    + " status' shows what each function runs in each class loader)"), outcome);
            assertFalse(outcome.contains("blocked"), outcome);
            List<AuditLog.Entry> all = RegistryAccess.get().audit().entries();
            // The events the queue took (not the records of the copies' callbacks, run at their first call above)
            List<AuditLog.Entry> links = entries("link", "audit-held").stream()
                    .filter(e -> e.outcome().endsWith("hooked as it was defined)")).toList();
            assertEquals(BOUND, links.size(), links.toString());
            AuditLog.Entry enable = all.stream().filter(e -> e.operation().equals("enable")
                    && e.patch().equals("audit-held")).findFirst().orElseThrow();
            assertTrue(all.indexOf(enable) < all.indexOf(links.get(0))
                    && all.indexOf(links.get(BOUND - 1)) < all.indexOf(gaps.get(0)), all.toString());
            assertEquals(List.of("link audit: " + outcome), warnings.stream().filter(w -> w.startsWith("link audit"))
                    .toList());
        } finally {
            TestSupport.JLIVEPATCH_LOG.removeHandler(warningHandler);
        }
    }

    private Handler warningHandler;

    /** The WARNING lines of jlivepatch's log from now on, until {@link #warningHandler} is removed. */
    private List<String> warnings() {
        List<String> warnings = new CopyOnWriteArrayList<>();
        warningHandler = new Handler() {
            private final SimpleFormatter formatter = new SimpleFormatter();

            @Override
            public void publish(LogRecord record) {
                if (record.getLevel() == Level.WARNING) {
                    warnings.add(formatter.formatMessage(record));
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        TestSupport.JLIVEPATCH_LOG.addHandler(warningHandler);
        return warnings;
    }

    /** The gap records made since {@code before} was taken (the other test's, in this JVM, are not this one's). */
    private static List<AuditLog.Entry> gapsSince(List<AuditLog.Entry> before) {
        return entries("audit-gap", "link").stream().filter(e -> !before.contains(e)).toList();
    }

    private static List<AuditLog.Entry> awaitGap(List<AuditLog.Entry> before) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (gapsSince(before).isEmpty() && System.nanoTime() - deadline < 0) {
            Thread.sleep(5); // a hang detector, not a timing: the record's presence is the verdict
        }
        return gapsSince(before);
    }

    static Thread threadNamed(String name) {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(name)) {
                return t;
            }
        }
        throw new AssertionError("no thread " + name + ": it starts with the first enable");
    }

    static boolean blockedInRecord(Thread t) {
        StackTraceElement[] stack = t.getStackTrace();
        // record, or recordEvent (an event's records, placed together)
        return t.getState() == Thread.State.BLOCKED && stack.length > 0
                && stack[0].getClassName().equals(AuditLog.class.getName()) && stack[0].getMethodName().startsWith("record");
    }
}
