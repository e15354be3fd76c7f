package io.jlivepatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import testapp.Stacked;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static io.jlivepatch.PatchException.Reason.DUPLICATE_NAME;
import static io.jlivepatch.PatchException.Reason.ILLEGAL_STATE;
import static io.jlivepatch.PatchException.Reason.ORDER_VIOLATION;
import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DESIGN.md life-cycle rules 1-4, the handle's flags and transitions, and install/get. */
class LifecycleTest {

    public static int two(Stacked s) {
        return 2;
    }

    public static int three(Stacked s) {
        return 3;
    }

    public static int other(Stacked s) {
        return 20;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    private static Patch valuePatch(String name, String replacement) {
        return Patch.builder(name).replace(method(Stacked.class, "value"),
                method(LifecycleTest.class, replacement, Stacked.class)).build();
    }

    private static Patch otherPatch(String name) {
        return Patch.builder(name).replace(method(Stacked.class, "other"),
                method(LifecycleTest.class, "other", Stacked.class)).build();
    }

    private static PatchException refused(PatchException.Reason reason, String patchName,
                                          org.junit.jupiter.api.function.Executable call) {
        PatchException e = assertThrows(PatchException.class, call);
        assertEquals(reason, e.reason(), e.getMessage());
        assertEquals(patchName, e.patchName());
        assertTrue(e.getMessage().contains("'" + patchName + "'"), "the message names the patch: " + e.getMessage());
        return e;
    }

    @Test
    void installIsIdempotentAndGetReturnsTheInstalledInstance() {
        Livepatch lp = livepatch();
        assertSame(lp, Livepatch.install(TestSupport.instrumentation()));
        assertSame(lp, Livepatch.get());
    }

    @Test
    void registerAppendsToTheStackAndFindLooksPatchesUpByName() throws Exception {
        List<PatchHandle> before = livepatch().patches();
        PatchHandle a = livepatch().register(valuePatch("lc-order-a", "two"));
        PatchHandle b = livepatch().register(otherPatch("lc-order-b"));
        PatchHandle c = livepatch().register(valuePatch("lc-order-c", "three"));
        assertEquals(before.size() + 3, livepatch().patches().size());
        assertEquals(List.of(a, b, c), livepatch().patches().subList(before.size(), before.size() + 3));
        assertSame(b, livepatch().find("lc-order-b").orElseThrow());
        assertEquals(Optional.empty(), livepatch().find("lc-order-none"));
        assertEquals("lc-order-a", a.name());
        assertEquals("lc-order-a", a.patch().name());
        assertTrue(a.isRegistered());
        assertFalse(a.isEnabled());

        b.unregister();
        assertEquals(List.of(a, c), livepatch().patches().subList(before.size(), before.size() + 2));
        assertEquals(Optional.empty(), livepatch().find("lc-order-b"));
        assertFalse(b.isRegistered());
    }

    @Test
    void aSecondPatchOfARegisteredNameIsRefusedAsDuplicate() throws Exception {
        PatchHandle first = livepatch().register(valuePatch("lc-dup", "two"));
        PatchException e = refused(DUPLICATE_NAME, "lc-dup", () -> livepatch().register(valuePatch("lc-dup", "three")));
        assertTrue(e.getMessage().startsWith("patch 'lc-dup' is already registered, built in code, registered, not"
                + " enabled: unregister it first"), e.getMessage());
        assertEquals(List.of(first), livepatch().patches());
        assertSame(first, livepatch().find("lc-dup").orElseThrow());
    }

    @Test
    void aNameIsFreeAgainOnceItsPatchIsUnregistered() throws Exception {
        livepatch().register(valuePatch("lc-reuse", "two")).unregister();
        PatchHandle again = livepatch().register(valuePatch("lc-reuse", "three"));
        again.enable();
        assertEquals(3, new Stacked().value());
    }

    @Test
    void enablingWithADisabledPredecessorIsAnOrderViolation() throws Exception {
        PatchHandle a = livepatch().register(valuePatch("lc-pred-a", "two"));
        PatchHandle b = livepatch().register(otherPatch("lc-pred-b"));
        refused(ORDER_VIOLATION, "lc-pred-b", b::enable);
        assertFalse(b.isEnabled());
        assertEquals(10, new Stacked().other());
        a.enable();
        b.enable();
        assertEquals(20, new Stacked().other());
    }

    @Test
    void disablingOutOfOrderIsRefused() throws Exception {
        PatchHandle a = livepatch().register(valuePatch("lc-rev-a", "two"));
        PatchHandle b = livepatch().register(valuePatch("lc-rev-b", "three"));
        a.enable();
        b.enable();
        refused(ORDER_VIOLATION, "lc-rev-a", a::disable);
        assertTrue(a.isEnabled());
        assertTrue(b.isEnabled());
        assertEquals(3, new Stacked().value());
        b.disable();
        assertEquals(2, new Stacked().value());
        a.disable();
        assertEquals(1, new Stacked().value());
    }

    /**
     * With two patches enabled above, the refusal names both, the top first (before, it named the next
     * one alone, "disable 'lc-all-b' first", a disable refused as well while 'lc-all-c' is enabled).
     */
    @Test
    void disablingOutOfOrderNamesEveryPatchEnabledAboveTheTopFirst() throws Exception {
        PatchHandle a = livepatch().register(valuePatch("lc-all-a", "two"));
        PatchHandle b = livepatch().register(otherPatch("lc-all-b"));
        PatchHandle c = livepatch().register(valuePatch("lc-all-c", "three"));
        a.enable();
        b.enable();
        c.enable();
        assertEquals("cannot disable patch 'lc-all-a' while 'lc-all-c', 'lc-all-b', enabled after it, are still"
                + " enabled: patches come off in reverse order, the top first: disable 'lc-all-c', then 'lc-all-b',"
                + " then 'lc-all-a'", refused(ORDER_VIOLATION, "lc-all-a", a::disable).getMessage());
        assertTrue(a.isEnabled() && b.isEnabled() && c.isEnabled());
        assertEquals("cannot disable patch 'lc-all-b' while 'lc-all-c', enabled after it, is still enabled: patches"
                + " come off in reverse order, disable 'lc-all-c' first", refused(ORDER_VIOLATION, "lc-all-b",
                b::disable).getMessage());
        c.disable();
        b.disable();
        a.disable();
        assertEquals(1, new Stacked().value());
        assertEquals(10, new Stacked().other());
    }

    @Test
    void disablingIsRefusedWhileAnyLaterPatchIsEnabledEvenWithADisabledOneBetween() throws Exception {
        PatchHandle a = livepatch().register(valuePatch("lc-gap-a", "two"));
        PatchHandle b = livepatch().register(otherPatch("lc-gap-b"));
        PatchHandle c = livepatch().register(valuePatch("lc-gap-c", "three"));
        a.enable();
        b.enable();
        c.enable();
        c.disable();
        b.disable();
        // a disabled predecessor blocks enabling c again
        refused(ORDER_VIOLATION, "lc-gap-c", c::enable);
        a.disable();
        assertEquals(1, new Stacked().value());
        assertEquals(10, new Stacked().other());
    }

    @Test
    void unregisteringAnEnabledPatchIsAnIllegalState() throws Exception {
        PatchHandle h = livepatch().register(valuePatch("lc-unreg-enabled", "two"));
        h.enable();
        refused(ILLEGAL_STATE, "lc-unreg-enabled", h::unregister);
        assertTrue(h.isRegistered());
        assertTrue(h.isEnabled());
        assertSame(h, livepatch().find("lc-unreg-enabled").orElseThrow());
        assertEquals(2, new Stacked().value());
    }

    @Test
    void anUnregisteredHandleCanNeitherBeEnabledNorDisabledNorUnregisteredAgain() throws Exception {
        PatchHandle h = livepatch().register(valuePatch("lc-gone", "two"));
        h.unregister();
        refused(ILLEGAL_STATE, "lc-gone", h::enable);
        refused(ILLEGAL_STATE, "lc-gone", h::disable);
        refused(ILLEGAL_STATE, "lc-gone", h::unregister);
        assertFalse(h.isEnabled());
        assertFalse(h.isRegistered());
        assertEquals(1, new Stacked().value());
        assertEquals(Optional.empty(), livepatch().find("lc-gone"));
    }

    @Test
    void disablingADisabledPatchIsAnIllegalState() throws Exception {
        PatchHandle h = livepatch().register(valuePatch("lc-disable-twice", "two"));
        refused(ILLEGAL_STATE, "lc-disable-twice", h::disable);
        h.enable();
        h.disable();
        refused(ILLEGAL_STATE, "lc-disable-twice", h::disable);
        assertTrue(h.isRegistered());
        assertFalse(h.isEnabled());
    }

    @Test
    void enablingAnEnabledPatchIsRefused() throws Exception {
        PatchHandle h = livepatch().register(valuePatch("lc-enable-twice", "two"));
        h.enable();
        PatchException e = refused(ILLEGAL_STATE, "lc-enable-twice", h::enable);
        // "is already enabled" alone left open whether the call did anything, and what to do
        // said to the command line and to code alike: each is told where it sees the state
        assertEquals("patch 'lc-enable-twice' is already enabled: nothing was changed; it needs no second enable"
                + " ('jlivepatch status', or PatchHandle.isEnabled() in code, shows its state)", e.getMessage());
        assertTrue(h.isEnabled());
        assertEquals(2, new Stacked().value());
        assertLastAudit("enable lc-enable-twice", "refused ILLEGAL_STATE");
    }

    @Test
    void disablingADisabledPatchSaysNothingChangedAndWhatIsLeftToDo() throws Exception {
        PatchHandle h = livepatch().register(valuePatch("lc-disable-disabled", "two"));
        PatchException e = refused(ILLEGAL_STATE, "lc-disable-disabled", h::disable);
        assertEquals("patch 'lc-disable-disabled' is not enabled: nothing was changed; it needs no disable (its"
                + " methods run without it), and unregister removes it ('jlivepatch status', or"
                + " PatchHandle.isEnabled() in code, shows its state)",
                e.getMessage());
        assertTrue(h.isRegistered());
        assertFalse(h.isEnabled());
        assertEquals(1, new Stacked().value(), "no hook: the original code runs");
        assertLastAudit("disable lc-disable-disabled", "refused ILLEGAL_STATE");
    }

    private static void assertLastAudit(String what, String outcome) throws Exception {
        String[] log = Mbeans.log();
        String last = log[log.length - 1];
        assertTrue(last.contains(" " + what + " by ") && last.contains(": " + outcome + ": "), last);
    }

    @Test
    void forcingWithNoTransitionIsAnIllegalState() throws Exception {
        PatchHandle h = livepatch().register(valuePatch("lc-force", "two"));
        refused(ILLEGAL_STATE, "lc-force", h::forceTransition);
        h.enable();
        refused(ILLEGAL_STATE, "lc-force", h::forceTransition);
        assertTrue(h.isEnabled());
    }

    @Test
    void aDisabledPatchCanBeEnabledAgain() throws Exception {
        PatchHandle h = livepatch().register(valuePatch("lc-again", "two"));
        Stacked s = new Stacked();
        for (int i = 0; i < 3; i++) {
            h.enable();
            assertTrue(h.isEnabled());
            assertEquals(2, s.value());
            h.disable();
            assertFalse(h.isEnabled());
            assertEquals(1, s.value());
        }
    }

    @Test
    void aTransitionHasEndedWhenEnableAndDisableReturn() throws Exception {
        PatchHandle h = livepatch().register(valuePatch("lc-transition", "two"));
        assertFalse(h.inTransition());
        h.enable();
        assertFalse(h.inTransition());
        assertTrue(h.awaitTransition(Duration.ZERO));
        assertTrue(h.awaitTransition(Duration.ofSeconds(1)));
        h.disable();
        assertFalse(h.inTransition());
        assertTrue(h.awaitTransition(Duration.ZERO));
    }

    @Test
    void aPatchCanBeUnregisteredAfterBeingDisabled() throws Exception {
        PatchHandle h = livepatch().register(valuePatch("lc-unreg", "two"));
        h.enable();
        h.disable();
        h.unregister();
        assertFalse(h.isRegistered());
        assertEquals(Optional.empty(), livepatch().find("lc-unreg"));
        assertEquals(1, new Stacked().value());
    }
}
