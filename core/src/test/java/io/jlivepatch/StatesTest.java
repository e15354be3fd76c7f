package io.jlivepatch;

import cbapp.Cache;
import cbapp.Held;
import cbapp.Hold;
import cbapp.Store;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalInt;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel's selftest {@code test-state.sh}, translated: a patch sets up a system state, a later
 * one takes it over at a higher version, incompatible and cumulative patches are refused, and
 * {@link Livepatch#stateVersion} counts a patch from the end of its enable to the start of its disable.
 */
class StatesTest {

    private static final long ID = 1;
    private static final Duration WAIT = Duration.ofSeconds(10);

    /** What stateVersion(1) was in each callback, {@code "<callback> <version or none>"}. */
    private static final List<String> SEEN = Collections.synchronizedList(new ArrayList<>());

    private final List<Thread> started = new ArrayList<>();

    public static String cacheGet(Object self) {
        return "v1";
    }

    public static String cacheGet2(Object self) {
        return "v2";
    }

    public static String storeGet(Object self) {
        return "store";
    }

    public static String work() {
        Hold.pass();
        return "new";
    }

    @BeforeEach
    void load() {
        SEEN.clear();
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

    /** Records stateVersion(1) in every callback. */
    private static final class Seer implements Callbacks {
        @Override
        public void prePatch(Class<?> target) {
            see("prePatch");
        }

        @Override
        public void postPatch(Class<?> target) {
            see("postPatch");
        }

        @Override
        public void preUnpatch(Class<?> target) {
            see("preUnpatch");
        }

        @Override
        public void postUnpatch(Class<?> target) {
            see("postUnpatch");
        }

        private static void see(String callback) {
            OptionalInt v = livepatch().stateVersion(ID);
            SEEN.add(callback + " " + (v.isPresent() ? String.valueOf(v.getAsInt()) : "none"));
        }
    }

    private static Patch.Builder v1(String name) {
        return Patch.builder(name).replace(method(Cache.class, "get"), method(StatesTest.class, "cacheGet", Object.class));
    }

    private static Patch.Builder v2(String name) {
        return Patch.builder(name).replace(method(Cache.class, "get"), method(StatesTest.class, "cacheGet2", Object.class));
    }

    private static PatchHandle enabled(Patch patch) throws Exception {
        PatchHandle h = livepatch().register(patch);
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        return h;
    }

    @Test
    void aPatchSetsUpAStateThatCountsFromItsPostPatchToItsPreUnpatch() throws Exception {
        assertEquals(OptionalInt.empty(), livepatch().stateVersion(ID));
        PatchHandle h = enabled(v1("st-setup").state(ID, 1).callbacks("cbapp.Cache", new Seer()).build());
        assertEquals(OptionalInt.of(1), livepatch().stateVersion(ID));
        assertEquals(OptionalInt.empty(), livepatch().stateVersion(7), "another id");
        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(OptionalInt.empty(), livepatch().stateVersion(ID));
        assertEquals(List.of("prePatch none", "postPatch 1", "preUnpatch 1", "postUnpatch none"), SEEN);
    }

    @Test
    void aLaterPatchTakesTheStateOverAtAHigherVersion() throws Exception {
        PatchHandle a = enabled(v1("st-a").state(ID, 1).build());
        PatchHandle b = enabled(v2("st-b").state(ID, 2).callbacks("cbapp.Cache", new Seer()).build());
        assertEquals(OptionalInt.of(2), livepatch().stateVersion(ID));
        assertEquals("v2", new Cache().get());
        assertEquals(List.of("prePatch 1", "postPatch 2"), SEEN, "b's prePatch finds the state a set up");
        b.disable();
        assertTrue(b.awaitTransition(WAIT));
        assertEquals(OptionalInt.of(1), livepatch().stateVersion(ID), "back to a's version");
        a.disable();
        assertTrue(a.awaitTransition(WAIT));
        assertEquals(OptionalInt.empty(), livepatch().stateVersion(ID));
    }

    @Test
    void aPatchThatLeavesTheStateAloneIsCompatible() throws Exception {
        enabled(v1("st-holder").state(ID, 2).build());
        PatchHandle other = enabled(Patch.builder("st-other")
                .replace(method(Store.class, "get"), method(StatesTest.class, "storeGet", Object.class))
                .state(7, 1).build());
        assertTrue(other.isEnabled());
        assertEquals(OptionalInt.of(2), livepatch().stateVersion(ID));
        assertEquals(OptionalInt.of(1), livepatch().stateVersion(7));
    }

    @Test
    void aPatchWithAnOlderVersionOfAStateIsRefusedAndNothingChanges() throws Exception {
        PatchHandle a = enabled(v1("st-new").state(ID, 2).build());
        PatchHandle b = livepatch().register(v2("st-old").state(ID, 1).callbacks("cbapp.Cache", new Seer()).build());
        PatchException e = assertThrows(PatchException.class, b::enable);
        assertEquals(PatchException.Reason.INCOMPATIBLE_STATE, e.reason());
        assertEquals("cannot enable patch 'st-old': it holds state 1 at version 1, but patch 'st-new' holds it at"
                + " version 2, newer: a patch must understand the states it finds; give 'st-old' state(1, 2) or"
                + " more, once it handles that version, or disable 'st-new' first", e.getMessage());
        assertEquals(List.of(), SEEN, "refused before any callback");
        assertTrue(b.isRegistered());
        assertFalse(b.isEnabled() || b.inTransition());
        assertTrue(a.isEnabled());
        assertEquals("v1", new Cache().get());
        assertEquals(OptionalInt.of(2), livepatch().stateVersion(ID));
        assertEquals(List.of("st-new", "st-old"), livepatch().patches().stream().map(PatchHandle::name).toList());
    }

    @Test
    void aCumulativePatchThatLacksAStateIsRefused() throws Exception {
        PatchHandle a = enabled(v1("st-base").state(ID, 1).build());
        PatchHandle c = livepatch().register(v2("st-cumulative").replaceAll().state(7, 1).build());
        PatchException e = assertThrows(PatchException.class, c::enable);
        assertEquals(PatchException.Reason.INCOMPATIBLE_STATE, e.reason());
        assertTrue(e.getMessage().startsWith("cannot enable cumulative patch 'st-cumulative': patch 'st-base', which"
                + " it would replace, holds state 1 at version 1 and 'st-cumulative' holds none of it (version 0)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("give it state(1, 1) or more"), e.getMessage());
        assertTrue(a.isEnabled());
        assertFalse(c.isEnabled() || c.inTransition());
        assertEquals("v1", new Cache().get());
        assertEquals(OptionalInt.of(1), livepatch().stateVersion(ID));
    }

    @Test
    void aCumulativePatchThatHoldsTheStateAtTheSameOrANewerVersionIsCompatible() throws Exception {
        enabled(v1("st-base2").state(ID, 1).build());
        PatchHandle c = enabled(v2("st-cumulative2").replaceAll().state(ID, 2).build());
        assertTrue(c.isEnabled());
        assertEquals(OptionalInt.of(2), livepatch().stateVersion(ID));
        assertEquals("v2", new Cache().get());
    }

    @Test
    void aStateCountsOnlyOnceTheEnableTransitionHasCompletedAndNoLongerOnceTheDisableStarts() throws Exception {
        PatchHandle h = livepatch().register(Patch.builder("st-held")
                .replace(method(Held.class, "work"), method(StatesTest.class, "work")).state(ID, 3).build());
        Thread old = held();
        h.enable();
        assertTrue(h.inTransition());
        assertEquals(OptionalInt.empty(), livepatch().stateVersion(ID), "not while a thread runs the old version");
        release(old);
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(OptionalInt.of(3), livepatch().stateVersion(ID));

        Thread inNew = held();
        h.disable();
        assertTrue(h.inTransition());
        assertEquals(OptionalInt.empty(), livepatch().stateVersion(ID), "not from the start of the disable");
        h.enable(); // a reversed disable ends with the patch enabled: its state counts again
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(OptionalInt.of(3), livepatch().stateVersion(ID));
        release(inNew);
    }

    @Test
    void badStatesAreRefusedByTheBuilder() {
        Patch.Builder b = v1("st-bad").state(ID, 1);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> b.state(ID, 2)).getMessage()
                .contains("declares state 1 twice"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> v1("st-zero").state(2, 0)).getMessage()
                .contains("versions start at 1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> v1("st-neg").state(2, -1)).getMessage()
                .contains("versions start at 1"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> v1("st-neg-id").state(-1, 1)).getMessage()
                .contains("negative"));
    }

    private Thread held() throws InterruptedException {
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
}
