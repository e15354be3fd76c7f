package io.jlivepatch;

import cbapp.Held;
import cbapp.Hold;
import io.jlivepatch.control.ObjectNames;
import io.jlivepatch.internal.core.AuditLog;
import io.jlivepatch.json.JsonReader;
import io.jlivepatch.json.SchemaCheck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.management.MBeanServer;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * "Patching complete" means complete: as the kernel's {@code transition} file reads 1 until
 * klp_complete_transition's post callbacks have run, a patch stays in transition (PatchHandle.inTransition,
 * the MBean's Transition, status) until its closing callback ({@code postPatch}, {@code postUnpatch}) has
 * returned. Before, the transition showed ended before they ran, and the command, which polls Transition,
 * said "patching complete" while a postPatch still ran.
 */
class ClosingCallbacksTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    private final List<Thread> started = new ArrayList<>();
    private final Blocking callbacks = new Blocking();

    /** Blocks in the closing callback named by {@link #blockIn} until {@link #gate} opens. */
    static final class Blocking implements Callbacks {
        volatile String blockIn = "";
        volatile String failIn = "";
        volatile CountDownLatch entered = new CountDownLatch(1);
        volatile CountDownLatch gate = new CountDownLatch(1);

        @Override
        public void postPatch(Class<?> target) {
            block("postPatch");
        }

        @Override
        public void postUnpatch(Class<?> target) {
            block("postUnpatch");
        }

        private void block(String callback) {
            if (failIn.equals(callback)) {
                throw new IllegalStateException(callback + " fails on purpose");
            }
            if (!blockIn.equals(callback)) {
                return;
            }
            entered.countDown();
            try {
                gate.await(60, TimeUnit.SECONDS); // bounded: a failed test never keeps the worker for good
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void arm(String callback) {
            entered = new CountDownLatch(1);
            gate = new CountDownLatch(1);
            blockIn = callback;
        }

        void open() {
            blockIn = "";
            gate.countDown();
        }
    }

    public static String work() {
        Hold.pass();
        return "new";
    }

    @AfterEach
    void cleanUp() throws Exception {
        callbacks.open();
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

    @Test
    void aPatchStaysInTransitionUntilItsPostPatchAndItsPostUnpatchHaveReturned() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("closing-held")
                .replace(method(Held.class, "work"), method(ClosingCallbacksTest.class, "work"))
                .callbacks("cbapp.Held", callbacks).build());

        // The enable's transition is held by a thread in the old work(): it ends on the worker once released.
        callbacks.arm("postPatch");
        Thread old = heldInWork();
        h.enable();
        Hold.release(old);
        assertTrue(callbacks.entered.await(10, TimeUnit.SECONDS), "the transition's end ran postPatch");
        assertStillInTransition(h, "postPatch");
        callbacks.open();
        assertTrue(h.awaitTransition(WAIT));
        assertEnded(h);

        // The same for a disable, whose end runs postUnpatch.
        callbacks.arm("postUnpatch");
        Thread inNew = heldInWork();
        h.disable();
        Hold.release(inNew);
        assertTrue(callbacks.entered.await(10, TimeUnit.SECONDS), "the transition's end ran postUnpatch");
        assertStillInTransition(h, "postUnpatch");
        callbacks.open();
        assertTrue(h.awaitTransition(WAIT));
        assertEnded(h);
        assertFalse(h.isEnabled());
    }

    /**
     * The force refused during the closing callbacks quotes the callback's thread, class and class loader, which
     * come from the application: escaped as in "Clean text", so that the refusal stays one line for the API's
     * caller and its log. Before, a thread named with a line break broke the refusal in two.
     */
    @Test
    void aForceRefusedWhileAClosingCallbackRunsEscapesTheCallbacksThreadName() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("closing-escaped")
                .replace(method(Held.class, "work"), method(ClosingCallbacksTest.class, "work"))
                .callbacks("cbapp.Held", callbacks).build());
        // No thread in the old work(): the transition ends inside the enable's call, on the enabling thread,
        // whose name the application chose.
        callbacks.arm("postPatch");
        Thread enabling = new Thread(() -> {
            try {
                h.enable();
            } catch (PatchException e) {
                throw new IllegalStateException(e);
            }
        }, "app\nthread\u202e");
        started.add(enabling);
        enabling.start();
        assertTrue(callbacks.entered.await(10, TimeUnit.SECONDS), "the enable's end ran postPatch");
        assertTrue(h.inTransition());
        PatchException e = assertTimeoutPreemptively(WAIT, () -> assertThrows(PatchException.class,
                h::forceTransition));
        assertEquals(PatchException.Reason.ILLEGAL_STATE, e.reason());
        assertTrue(e.getMessage().contains("postPatch of cbapp.Held in class loader ")
                && e.getMessage().contains("(thread 'app\\nthread\\u202e' (id " + enabling.getId() + ")"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\u202e"), e.getMessage());
        callbacks.open();
        enabling.join(10_000);
        assertFalse(enabling.isAlive());
        assertTrue(h.awaitTransition(WAIT));
        assertEnded(h);
    }

    /**
     * The force refused at once during the closing callbacks is the closing patch's, by its handle: a handle of a
     * patch unregistered since, whose name a new registration took, is not it. Its force goes the usual way (a
     * command's waits for jlivepatch's lock, which the callback holds: BUSY; after it, not in transition). Before,
     * the name matched and the old handle was told that its transition had ended on every thread.
     */
    @Test
    void aForceOfAnUnregisteredHandleIsNotTakenForTheClosingPatchOfTheSameName() throws Exception {
        PatchHandle old = livepatch().register(Patch.builder("closing-same-name")
                .replace(method(Held.class, "work"), method(ClosingCallbacksTest.class, "work")).build());
        old.unregister();
        PatchHandle h = livepatch().register(Patch.builder("closing-same-name")
                .replace(method(Held.class, "work"), method(ClosingCallbacksTest.class, "work"))
                .callbacks("cbapp.Held", callbacks).build());
        callbacks.arm("postPatch");
        Thread held = heldInWork();
        h.enable();
        Hold.release(held); // the transition ends on the worker, which blocks in postPatch holding the lock
        assertTrue(callbacks.entered.await(10, TimeUnit.SECONDS), "the transition's end ran postPatch");
        Duration wait = io.jlivepatch.internal.core.PatchRegistry.lockWait();
        io.jlivepatch.internal.core.PatchRegistry.lockWaitForTests(Duration.ofMillis(200));
        String before = io.jlivepatch.internal.core.Requester.enter("pid 1 user test"); // a command's wait is bounded
        PatchException e;
        try {
            e = assertThrows(PatchException.class, old::forceTransition); // on this thread: its requester
        } finally {
            io.jlivepatch.internal.core.Requester.restore(before);
            io.jlivepatch.internal.core.PatchRegistry.lockWaitForTests(wait);
        }
        assertEquals(PatchException.Reason.BUSY, e.reason(), e.getMessage());
        assertTrue(h.inTransition(), "the new patch's closing is left as it was");
        callbacks.open();
        assertTrue(h.awaitTransition(WAIT));
        PatchException after = assertThrows(PatchException.class, old::forceTransition);
        assertEquals(PatchException.Reason.ILLEGAL_STATE, after.reason());
        assertTrue(after.getMessage().contains("is not in transition"), after.getMessage());
    }

    /**
     * In the closing's steps where no callback runs (held here past the callbacks, before the transition is seen
     * ended), status names no closing callback, so the command's "transition still running" offers force: the
     * force is then not refused as if a callback were left; it waits for jlivepatch's lock, as the kernel's force
     * waits for klp_mutex (a command's wait is bounded: BUSY here, where the test holds the end), and once the end
     * is through it finds nothing to force. Before, it was refused at once, "only its closing callbacks are left;
     * force cannot end a callback", contradicting the command's offer.
     */
    @Test
    void aForceInTheClosingsStepsWithNoCallbackRunningIsNotRefusedAsWaitingForOne() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("closing-no-callback")
                .replace(method(Held.class, "work"), method(ClosingCallbacksTest.class, "work"))
                .callbacks("cbapp.Held", callbacks).build());
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch gate = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        io.jlivepatch.internal.core.PatchRegistry.holdClosingForTests(() -> {
            if (once.compareAndSet(false, true)) {
                entered.countDown();
                try {
                    gate.await(60, TimeUnit.SECONDS); // bounded: a failed test never keeps the worker for good
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        try {
            Thread held = heldInWork();
            h.enable();
            Hold.release(held); // the transition ends on the worker, held past its (returned) postPatch
            assertTrue(entered.await(10, TimeUnit.SECONDS), "the transition's end reached its last steps");
            assertTrue(h.inTransition());
            String json = statusJson();
            assertTrue(json.contains("\"transition\":true") && json.contains("\"closingCallback\":null"), json);
            Duration wait = io.jlivepatch.internal.core.PatchRegistry.lockWait();
            io.jlivepatch.internal.core.PatchRegistry.lockWaitForTests(Duration.ofMillis(200));
            String before = io.jlivepatch.internal.core.Requester.enter("pid 1 user test");
            PatchException e;
            try {
                e = assertThrows(PatchException.class, h::forceTransition); // on this thread: its requester
            } finally {
                io.jlivepatch.internal.core.Requester.restore(before);
                io.jlivepatch.internal.core.PatchRegistry.lockWaitForTests(wait);
            }
            assertEquals(PatchException.Reason.BUSY, e.reason(), e.getMessage());
            assertFalse(e.getMessage().contains("force cannot end a callback"), e.getMessage());
            gate.countDown();
            assertTrue(h.awaitTransition(WAIT));
            PatchException after = assertThrows(PatchException.class, h::forceTransition);
            assertEquals(PatchException.Reason.ILLEGAL_STATE, after.reason());
            assertTrue(after.getMessage().contains("is not in transition"), after.getMessage());
        } finally {
            gate.countDown();
            io.jlivepatch.internal.core.PatchRegistry.holdClosingForTests(null);
        }
    }

    /**
     * The audit record of the transition's end ({@code transition P ok (patching complete)}) follows its closing
     * callbacks, as the kernel's "patching complete" follows klp_complete_transition's post callbacks and the
     * log's line does here: while a postPatch blocks on the worker there is none yet. Before, it was written
     * before the callbacks, and said "complete" while the transition was still running for every observer.
     */
    @Test
    void theTransitionsEndIsOnRecordOnlyOnceItsBlockingPostPatchHasReturned() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("closing-record-blocks")
                .replace(method(Held.class, "work"), method(ClosingCallbacksTest.class, "work"))
                .callbacks("cbapp.Held", callbacks).build());
        callbacks.arm("postPatch");
        Thread old = heldInWork();
        h.enable();
        Hold.release(old); // the transition ends on the worker, which runs postPatch
        assertTrue(callbacks.entered.await(10, TimeUnit.SECONDS), "the transition's end ran postPatch");
        assertEquals(List.of("enable: ok"), recordsOf(h), "while postPatch runs");
        callbacks.open();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(List.of("enable: ok", "transition: ok (patching complete)"), recordsOf(h));
    }

    /**
     * A closing callback that fails on the worker: its failure's record comes before the transition's end, as an
     * effect of that end before it is complete. Before, the end came first.
     */
    @Test
    void aFailingPostPatchIsOnRecordBeforeTheTransitionsEnd() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("closing-record-fails")
                .replace(method(Held.class, "work"), method(ClosingCallbacksTest.class, "work"))
                .callbacks("cbapp.Held", callbacks).build());
        callbacks.failIn = "postPatch";
        Thread old = heldInWork();
        h.enable();
        Hold.release(old); // the transition ends on the worker, whose postPatch fails
        assertTrue(h.awaitTransition(WAIT));
        callbacks.failIn = "";
        assertEquals(List.of("enable: ok", "callback: failed postPatch", "transition: ok (patching complete)"),
                recordsOf(h));
    }

    /**
     * The audit records of h after its registration: {@code operation: outcome} up to the outcome's first " of ".
     * By name (each test's patch has its own), not by position: the in-memory log keeps a bounded number of
     * entries, so in the whole suite's JVM an index taken before the enable points elsewhere after it.
     */
    private static List<String> recordsOf(PatchHandle h) {
        List<String> mine = new ArrayList<>();
        for (AuditLog.Entry e : audit()) {
            if (e.patch().equals(h.name()) && !e.operation().equals("register")) {
                mine.add(e.operation() + ": " + e.outcome().split(" of ")[0]);
            }
        }
        return mine;
    }

    private static List<AuditLog.Entry> audit() {
        return RegistryAccess.get().audit().entries();
    }

    /**
     * status --json's closingCallback and closingBy are one closing's, read as one snapshot: between status's reads
     * of them (the seam), the enable's closing, asked for by one command, ends and a disable's, asked for by
     * another, begins. Before, status paired the enable's postPatch with the disable's requester (closingBy read on
     * its own, after the callback), so that the command that asked for the disable, whose pid closingBy named, could
     * take another change's callback for its own; in the instant before closingPatch was set, or after it was
     * cleared, closingBy named a requester with no closing shown at all. Now a read that a closing's start or end
     * crossed is read again (PatchRegistry.closing), and names the disable's postUnpatch with its requester.
     */
    @Test
    void statusNamesOneClosingsCallbackWithItsOwnRequesterWhenAnotherClosingBeginsBetweenItsReads() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("closing-snapshot")
                .replace(method(Held.class, "work"), method(ClosingCallbacksTest.class, "work"))
                .callbacks("cbapp.Held", callbacks).build());
        List<Thread> changes = new ArrayList<>();
        callbacks.arm("postPatch");
        changes.add(changeAs("pid 1 user enabler", h::enable)); // no thread holds it: it ends inside the call
        assertTrue(callbacks.entered.await(10, TimeUnit.SECONDS), "the enable's end ran postPatch");
        Thread reader = Thread.currentThread();
        java.util.concurrent.atomic.AtomicReference<String> seam = new java.util.concurrent.atomic.AtomicReference<>();
        io.jlivepatch.internal.core.PatchRegistry.atClosingReadForTests(() -> {
            if (Thread.currentThread() != reader || !seam.compareAndSet(null, "entered")) {
                return; // once, on this test's own status read
            }
            try {
                callbacks.open();
                changes.get(0).join(10_000);
                callbacks.arm("postUnpatch");
                changes.add(changeAs("pid 2 user disabler", h::disable));
                seam.set(callbacks.entered.await(10, TimeUnit.SECONDS) ? "switched" : "the disable ran no postUnpatch");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                seam.set("interrupted");
            }
        });
        try {
            String json = statusJson();
            assertEquals("switched", seam.get(), json);
            @SuppressWarnings("unchecked")
            Map<String, Object> patch = ((List<Map<String, Object>>) ((Map<String, Object>) JsonReader.parse(json))
                    .get("patches")).get(0);
            String callback = (String) patch.get("closingCallback");
            String by = (String) patch.get("closingBy");
            assertTrue(callback != null && callback.startsWith("postUnpatch of cbapp.Held in class loader ")
                    && ("pid 2 user disabler".equals(by) || "jlivepatch (for pid 2 user disabler)".equals(by)),
                    "closingCallback " + callback + " with closingBy " + by);
        } finally {
            io.jlivepatch.internal.core.PatchRegistry.atClosingReadForTests(null);
            callbacks.open();
            for (Thread t : changes) {
                t.join(10_000);
            }
        }
    }

    /** Runs {@code change} on a thread of its own as {@code requester} asks for it (a command's call, say). */
    private static Thread changeAs(String requester, Change change) {
        Thread t = new Thread(() -> {
            String before = io.jlivepatch.internal.core.Requester.enter(requester);
            try {
                change.run();
            } catch (PatchException e) {
                throw new IllegalStateException(e);
            } finally {
                io.jlivepatch.internal.core.Requester.restore(before);
            }
        }, "change as " + requester);
        t.start();
        return t;
    }

    @FunctionalInterface
    private interface Change {
        void run() throws PatchException;
    }

    /** What every observer says while {@code callback} blocks at the end of h's transition; force is refused. */
    private static void assertStillInTransition(PatchHandle h, String callback) throws Exception {
        String name = h.name();
        assertTrue(h.inTransition(), "in transition until " + callback + " has returned");
        assertFalse(h.awaitTransition(Duration.ofMillis(1)));
        assertEquals(Boolean.TRUE, transitionAttribute(name), "the MBean's Transition");
        String text = Mbeans.statusText(); // status answers while the callback holds jlivepatch's lock
        assertTrue(text.contains(name + " [" + (h.isEnabled() ? "enabled" : "disabled") + ", in transition]")
                && text.contains("     closing callback running: " + callback + " of cbapp.Held in class loader ")
                && text.contains(": every thread has moved; the transition ends when it returns"), text);
        String json = statusJson();
        assertTrue(json.contains("\"transition\":true") && json.contains("\"closingCallback\":\"" + callback
                + " of cbapp.Held in class loader "), json);
        // who asked for the operation whose end runs it: this test's call (the API), or the worker's end for it
        assertTrue(json.contains("\"closingBy\":\"api\"") || json.contains("\"closingBy\":\"jlivepatch (for api)\""),
                json);
        // the schema's types while they are strings (every other status test sees them null)
        @SuppressWarnings("unchecked")
        Map<String, Object> status = (Map<String, Object>) JsonReader.parse(json);
        assertEquals(List.of(), SchemaCheck.problems(StatusReportTest.schema(), status));
        // Nothing is left to force, and force cannot end a callback: refused at once, not after the callback.
        PatchException e = assertTimeoutPreemptively(WAIT, () -> assertThrows(PatchException.class,
                h::forceTransition));
        assertEquals(PatchException.Reason.ILLEGAL_STATE, e.reason());
        assertTrue(e.getMessage().startsWith("cannot force patch '" + name + "': its transition has ended on every"
                + " thread and only its closing callbacks are left, " + callback + " of cbapp.Held in class loader ")
                && e.getMessage().contains("; force cannot end a callback: the transition ends when it returns")
                && e.getMessage().endsWith("nothing was changed"), e.getMessage());
        assertTrue(h.inTransition(), "the refused force changed nothing");
    }

    private static void assertEnded(PatchHandle h) throws Exception {
        assertFalse(h.inTransition());
        assertEquals(Boolean.FALSE, transitionAttribute(h.name()));
        String text = Mbeans.statusText();
        assertFalse(text.contains("closing callback running") || text.contains("in transition]"), text);
        String json = statusJson();
        assertTrue(json.contains("\"transition\":false") && json.contains("\"closingCallback\":null")
                && json.contains("\"closingBy\":null") && !json.contains("\"closingBy\":\""), json);
    }

    private static Object transitionAttribute(String patch) throws Exception {
        Mbeans.livepatch();
        for (int i = 0; i < 1000 && !Mbeans.isRegistered(patch); i++) {
            Thread.sleep(10); // the MBean comes from the registration's observer
        }
        return SERVER.getAttribute(ObjectNames.patch(patch), "Transition");
    }

    private static String statusJson() throws Exception {
        return (String) Mbeans.invoke(Mbeans.livepatch(), "statusJson", null, null);
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
}
