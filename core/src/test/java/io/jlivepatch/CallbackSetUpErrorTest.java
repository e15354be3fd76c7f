package io.jlivepatch;

import cbapp.Cache;
import cbapp.Store;
import io.jlivepatch.internal.core.AuditLog;
import io.jlivepatch.internal.core.PatchRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static io.jlivepatch.TestSupport.livepatch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * jlivepatch's own failure in a callback's set-up (out of memory or stack before the callback is called:
 * PatchRegistry.failNextCallbackSetUpForTests), at the first of a patch's two classes. The kernel runs every
 * object's post callback and its pre_unpatch cannot stop a disable: a postPatch, preUnpatch or postUnpatch that
 * could not run is that callback's failure (status, audit, WARNING) and the others run; a prePatch that could
 * not run refuses the enable, and the class prepared before it gets its postUnpatch.
 */
class CallbackSetUpErrorTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final List<String> EVENTS = Collections.synchronizedList(new ArrayList<>());

    /**
     * Records each callback as {@code "<callback> <class>"}; in {@link #armIn} (a callback's name), makes the
     * next callback's set-up fail: the one of the other class, or the next kind's of the first class.
     */
    private static class Arming extends RecordingCallbacks {
        volatile String armIn;

        @Override
        void record(String kind, Class<?> target) {
            EVENTS.add(kind + " " + target.getSimpleName());
            if (kind.equals(armIn)) {
                armIn = null;
                PatchRegistry.failNextCallbackSetUpForTests(new OutOfMemoryError("injected"));
            }
        }
    }

    @BeforeEach
    void clearEvents() {
        EVENTS.clear();
        new Cache();
        new Store();
    }

    @AfterEach
    void cleanUp() throws Exception {
        PatchRegistry.failNextCallbackSetUpForTests(null);
        for (PatchHandle h : livepatch().patches()) {
            h.awaitTransition(WAIT);
        }
        TestSupport.removeAllPatches();
    }

    /** A patch of Cache and Store, Store's callbacks {@code store}, Cache's recording only. */
    private static PatchHandle registered(String name, Arming store) throws PatchException {
        return registered(name, new Arming(), store);
    }

    /** A patch of Cache and Store, with these callbacks; Cache's run first (description order). */
    private static PatchHandle registered(String name, Arming cache, Arming store) throws PatchException {
        return livepatch().register(CallbacksTest.cacheAndStorePatch(name)
                .callbacks("cbapp.Cache", cache)
                .callbacks("cbapp.Store", store)
                .build());
    }

    private static List<AuditLog.Entry> auditOf(String patch) {
        return RegistryAccess.get().audit().entries().stream().filter(e -> e.patch().equals(patch)).toList();
    }

    private static List<String> linesOf(String patch) {
        return auditOf(patch).stream().map(e -> e.operation() + " " + e.outcome()).toList();
    }

    /** The failure is on record as the callback's own: count, last failure, its audit line. */
    private static void assertOnRecord(PatchHandle h, long failures, String kind) {
        assertOnRecord(h, failures, kind, "cbapp.Cache");
    }

    private static void assertOnRecord(PatchHandle h, long failures, String kind, String target) {
        assertEquals(failures, RegistryAccess.get().callbackFailures(h), "status's callbackFailures");
        String last = RegistryAccess.get().lastCallbackFailure(h);
        assertTrue(last != null && last.startsWith(kind + " of " + target + " in class loader ")
                && last.contains("java.lang.OutOfMemoryError: injected"), last);
        assertTrue(linesOf(h.name()).stream().anyMatch(l -> l.startsWith("callback failed " + kind + " of " + target)),
                linesOf(h.name()).toString());
    }

    /** The patch enables and disables with all its callbacks, and unregisters: nothing of the failure stays. */
    private static void assertLifeCycleGoesOn(PatchHandle h) throws Exception {
        EVENTS.clear();
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals("patched", new Cache().get());
        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals("original", new Cache().get());
        assertEquals(List.of("prePatch Cache", "prePatch Store", "postPatch Cache", "postPatch Store",
                "preUnpatch Cache", "preUnpatch Store", "postUnpatch Cache", "postUnpatch Store"), EVENTS);
        h.unregister();
        assertFalse(livepatch().find(h.name()).isPresent());
    }

    @Test
    void aPostUnpatchThatCannotBeSetUpIsOnRecordAndTheOtherClassesRunTheirsAndTheDisableEnds() throws Exception {
        Arming store = new Arming();
        PatchHandle h = registered("setup-post-unpatch", store);
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        EVENTS.clear();
        store.armIn = "preUnpatch"; // the last preUnpatch: the next set-up is Cache's postUnpatch's
        h.disable();
        assertTrue(h.awaitTransition(WAIT));

        assertEquals(List.of("preUnpatch Cache", "preUnpatch Store", "postUnpatch Store"), EVENTS,
                "Store's postUnpatch runs though Cache's could not");
        assertFalse(h.isEnabled());
        assertFalse(h.inTransition());
        assertEquals("original", new Cache().get());
        assertOnRecord(h, 1, "postUnpatch");
        List<String> lines = linesOf(h.name());
        assertEquals("transition ok (unpatching complete)", lines.get(lines.size() - 1), lines.toString());
        assertLifeCycleGoesOn(h);
    }

    @Test
    void aPostPatchThatCannotBeSetUpIsOnRecordAndTheOtherClassesRunTheirs() throws Exception {
        Arming store = new Arming();
        PatchHandle h = registered("setup-post-patch", store);
        store.armIn = "prePatch"; // the last prePatch: the next set-up is Cache's postPatch's
        h.enable();
        assertTrue(h.awaitTransition(WAIT));

        assertEquals(List.of("prePatch Cache", "prePatch Store", "postPatch Store"), EVENTS);
        assertTrue(h.isEnabled());
        assertEquals("patched", new Cache().get());
        assertOnRecord(h, 1, "postPatch");
        List<String> lines = linesOf(h.name());
        assertEquals("transition ok (patching complete)", lines.get(lines.size() - 1), lines.toString());
        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        h.unregister();
        EVENTS.clear();
        assertLifeCycleGoesOn(registered("setup-post-patch-again", new Arming()));
    }

    /**
     * No memory to list the prepared classes for a transition's closing callbacks (PatchRegistry.
     * failNextClosingListForTests): none of them can run; that is on record as their failure (status, audit), and
     * the transition ends. Before, the Error went out of postPatchAll/postUnpatchAll to closing()'s catch: an ERROR
     * line only, callbackFailures 0, no audit line.
     */
    @Test
    void closingCallbacksThatCannotBeListedAreOnRecordAndTheTransitionEnds() throws Exception {
        for (String kind : List.of("postPatch", "postUnpatch")) {
            Arming store = new Arming() {
                @Override
                public void prePatch(Class<?> target) {
                    super.prePatch(target);
                    if (kind.equals("postPatch")) {
                        PatchRegistry.failNextClosingListForTests(new OutOfMemoryError("injected"));
                    }
                }

                @Override
                public void preUnpatch(Class<?> target) {
                    super.preUnpatch(target);
                    if (kind.equals("postUnpatch")) {
                        PatchRegistry.failNextClosingListForTests(new OutOfMemoryError("injected"));
                    }
                }
            };
            String name = "setup-list-" + kind;
            PatchHandle h = registered(name, store);
            EVENTS.clear();
            h.enable();
            assertTrue(h.awaitTransition(WAIT));
            h.disable();
            assertTrue(h.awaitTransition(WAIT));
            PatchRegistry.failNextClosingListForTests(null);

            List<String> expected = new ArrayList<>(List.of("prePatch Cache", "prePatch Store"));
            if (!kind.equals("postPatch")) {
                expected.addAll(List.of("postPatch Cache", "postPatch Store"));
            }
            expected.addAll(List.of("preUnpatch Cache", "preUnpatch Store"));
            if (kind.equals("postPatch")) {
                expected.addAll(List.of("postUnpatch Cache", "postUnpatch Store"));
            }
            assertEquals(expected, EVENTS, kind + "'s of both classes could not run, the others ran");
            assertFalse(h.isEnabled());
            assertEquals("original", new Cache().get());
            assertEquals(1, RegistryAccess.get().callbackFailures(h), "status's callbackFailures");
            String last = RegistryAccess.get().lastCallbackFailure(h);
            assertTrue(last != null && last.startsWith(kind + " of the patch's classes could not run"), last);
            List<String> lines = linesOf(name);
            assertEquals(1, lines.stream().filter(l -> l.startsWith("callback failed " + kind + " of the patch's"
                    + " classes could not run")).count(), lines.toString());
            assertEquals("transition ok (unpatching complete)", lines.get(lines.size() - 1), lines.toString());
            h.unregister();
        }
    }

    /**
     * No memory to list the prepared classes for a disable's preUnpatch: none has run, so the disable is refused with
     * nothing changed (OUT_OF_MEMORY), unlike a preUnpatch that cannot be set up after others have run; the patch
     * stays enabled with its classes prepared, and the next disable runs every callback.
     */
    @Test
    void aDisableWhosePreUnpatchClassesCannotBeListedIsRefusedWithNothingChanged() throws Exception {
        PatchHandle h = registered("setup-list-pre-unpatch", new Arming());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        EVENTS.clear();
        PatchRegistry.failNextClosingListForTests(new OutOfMemoryError("injected"));
        PatchException e;
        try {
            e = assertThrows(PatchException.class, h::disable);
        } finally {
            PatchRegistry.failNextClosingListForTests(null);
        }
        assertEquals(PatchException.Reason.OUT_OF_MEMORY, e.reason(), e.getMessage());
        assertEquals(List.of(), EVENTS);
        assertTrue(h.isEnabled());
        assertFalse(h.inTransition());
        assertEquals("patched", new Cache().get());
        assertEquals(0, RegistryAccess.get().callbackFailures(h));
        List<String> lines = linesOf(h.name());
        assertTrue(lines.get(lines.size() - 1).startsWith("disable refused "), lines.toString());
        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(List.of("preUnpatch Cache", "preUnpatch Store", "postUnpatch Cache", "postUnpatch Store"),
                EVENTS);
        assertLifeCycleGoesOn(h);
    }

    /**
     * The second class's preUnpatch cannot be set up, the first's has run: the disable goes on (before, it was
     * refused OUT_OF_MEMORY, "nothing was changed", the patch enabled, Cache's preUnpatch run and never undone).
     */
    @Test
    void aPreUnpatchThatCannotBeSetUpIsOnRecordAndTheDisableGoesOnAsTheKernelsCannotBeStopped() throws Exception {
        Arming cache = new Arming();
        PatchHandle h = registered("setup-pre-unpatch", cache, new Arming());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        EVENTS.clear();
        cache.armIn = "preUnpatch"; // the next set-up is Store's preUnpatch's
        h.disable();
        assertTrue(h.awaitTransition(WAIT));

        assertEquals(List.of("preUnpatch Cache", "postUnpatch Cache", "postUnpatch Store"), EVENTS);
        assertFalse(h.isEnabled());
        assertEquals("original", new Cache().get());
        assertEquals("original store", new Store().get());
        assertOnRecord(h, 1, "preUnpatch", "cbapp.Store");
        List<String> lines = linesOf(h.name());
        assertEquals(List.of("disable ok", "transition ok (unpatching complete)"), lines.subList(lines.size() - 2,
                lines.size()), lines.toString());
        assertLifeCycleGoesOn(h);
    }

    @Test
    void aPrePatchThatCannotBeSetUpRefusesTheEnableAndThePreparedClassGetsItsPostUnpatch() throws Exception {
        Arming cache = new Arming();
        PatchHandle h = registered("setup-pre-patch", cache, new Arming());
        cache.armIn = "prePatch"; // the next set-up is Store's prePatch's
        PatchException e = assertThrows(PatchException.class, h::enable);
        assertEquals(PatchException.Reason.OUT_OF_MEMORY, e.reason(), e.getMessage());

        assertEquals(List.of("prePatch Cache", "postUnpatch Cache"), EVENTS, "the enable is undone");
        assertTrue(h.isRegistered());
        assertFalse(h.isEnabled());
        assertFalse(h.inTransition());
        assertEquals("original", new Cache().get());
        assertEquals("original store", new Store().get());
        List<String> lines = linesOf(h.name());
        assertTrue(lines.get(lines.size() - 1).startsWith("enable refused "), lines.toString());
        assertLifeCycleGoesOn(h);
    }
}
