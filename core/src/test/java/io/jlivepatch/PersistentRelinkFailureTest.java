package io.jlivepatch;

import faultapp.StuckRelink;
import faultapp.StuckRelinkOther;
import io.jlivepatch.internal.patch.ReplacementSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A relink failure that never clears (an {@code InternalError} of the JDK's method handles at every
 * link of one version of a method, injected where the link asks for it, as in RelinkFailureTest)
 * refuses every change that relinks that method, with nothing changed. What the operator can still do
 * there: read status, and change the patches of other methods; when the version that fails is below
 * the one that runs, a cumulative patch takes the whole stack off in an ordinary transition (it never
 * needs that version: the threads not moved yet run the version that runs, the others the cumulative
 * patch's or the original), after which the method's patches are gone and it unloads as usual. When it
 * is the version that runs, every transition of the method needs it for the threads not moved yet, so
 * no change of the method can keep the consistency model, and the refusal says to restart. A
 * transition whose end never links keeps every other change BUSY until it is reversed.
 */
class PersistentRelinkFailureTest {

    private final AtomicBoolean failing = new AtomicBoolean();

    public static int two(StuckRelink self) {
        return 2;
    }

    public static int three(StuckRelink self) {
        return 3;
    }

    public static int four(StuckRelink self) {
        return 4;
    }

    public static int five(StuckRelinkOther self) {
        return 5;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        failing.set(false);
        TestSupport.removeAllPatches();
    }

    private static boolean linking() {
        return StackWalker.getInstance().walk(s -> s.anyMatch(f -> f.getClassName().endsWith(".ReplacementLinker")));
    }

    private ReplacementSource failingWhenArmed(MethodHandle h) {
        return loader -> {
            if (failing.get() && linking()) {
                throw new InternalError("injected: a failure of the JDK's method handles, every time");
            }
            return h;
        };
    }

    private static MethodHandle handle(String name, Class<?> c) throws Exception {
        return MethodHandles.lookup().unreflect(method(PersistentRelinkFailureTest.class, name, c));
    }

    PatchHandle below;
    PatchHandle above;
    StuckRelink target = new StuckRelink();

    private void stack(boolean belowFails) throws Exception {
        below = RegistryAccess.get().register(Patch.builder("stuck-below").replace(method(StuckRelink.class, "value"),
                method(PersistentRelinkFailureTest.class, "two", StuckRelink.class)).build(),
                List.of(belowFails ? failingWhenArmed(handle("two", StuckRelink.class))
                        : ReplacementSource.fixed(handle("two", StuckRelink.class))));
        below.enable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(30)));
        above = RegistryAccess.get().register(Patch.builder("stuck-above").replace(method(StuckRelink.class, "value"),
                method(PersistentRelinkFailureTest.class, "three", StuckRelink.class)).build(),
                List.of(belowFails ? ReplacementSource.fixed(handle("three", StuckRelink.class))
                        : failingWhenArmed(handle("three", StuckRelink.class))));
        above.enable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(3, target.value());
        failing.set(true);
    }

    /** The refusal's advice, at its end. */
    private static final String ADVICE = "if it fails the same way again, a version of this method cannot be linked"
            + " for good and no change of this method's patches can be made: when it is not the version that runs,"
            + " a cumulative patch (Livepatch-Replace: true) takes every patch off in one transition; when that is"
            + " refused the same way, only a restart of the JVM takes them off";

    @Test
    void aLowerVersionThatNeverLinksLeavesStatusAndACumulativePatchThatTakesTheWholeStackOff() throws Exception {
        stack(true);
        PatchException refused = assertThrows(PatchException.class, above::disable);
        assertEquals(PatchException.Reason.TRANSFORM_FAILED, refused.reason(), refused.getMessage());
        assertTrue(refused.getMessage().contains(ADVICE), refused.getMessage());
        assertTrue(refused.getMessage().endsWith("nothing was changed"), refused.getMessage());
        assertEquals(PatchException.Reason.ORDER_VIOLATION,
                assertThrows(PatchException.class, below::disable).reason());
        assertEquals(PatchException.Reason.ILLEGAL_STATE,
                assertThrows(PatchException.class, above::unregister).reason());
        assertEquals(3, target.value(), "the version that ran runs");
        assertTrue(Mbeans.statusText().contains("stuck-above [enabled]"));
        assertEquals(FunctionStatus.State.PATCHED, above.functions().get(0).state(), above.functions().toString());

        // the way out: a cumulative patch, here of another method: the stack goes, every thread in turn
        PatchHandle cumulative = TestSupport.livepatch().register(Patch.builder("stuck-way-out").replaceAll()
                .replace(method(StuckRelinkOther.class, "value"), method(PersistentRelinkFailureTest.class, "five",
                        StuckRelinkOther.class)).build());
        cumulative.enable();
        assertTrue(cumulative.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(List.of(cumulative), TestSupport.livepatch().patches());
        assertEquals(1, target.value(), "the method's patches are off: its own code runs");
        assertEquals(List.of(), BytecodeProbe.hookedMethods(StuckRelink.class));
        cumulative.disable();
        assertTrue(cumulative.awaitTransition(Duration.ofSeconds(30)));
        cumulative.unregister();
        assertEquals(List.of(), TestSupport.livepatch().patches());
    }

    @Test
    void theRunningVersionThatNeverLinksKeepsEveryChangeOfItsMethodRefusedAndOthersWork() throws Exception {
        stack(false);
        PatchException refused = assertThrows(PatchException.class, above::disable);
        assertEquals(PatchException.Reason.TRANSFORM_FAILED, refused.reason(), refused.getMessage());
        assertTrue(refused.getMessage().contains(ADVICE), refused.getMessage());

        PatchHandle cumulative = TestSupport.livepatch().register(Patch.builder("stuck-way-out").replaceAll()
                .replace(method(StuckRelinkOther.class, "value"), method(PersistentRelinkFailureTest.class, "five",
                        StuckRelinkOther.class)).build());
        PatchException alsoRefused = assertThrows(PatchException.class, cumulative::enable);
        assertEquals(PatchException.Reason.TRANSFORM_FAILED, alsoRefused.reason(), alsoRefused.getMessage());
        assertTrue(alsoRefused.getMessage().contains(ADVICE), alsoRefused.getMessage());
        assertFalse(cumulative.isEnabled());
        assertEquals(3, target.value(), "nothing was changed: the version that ran runs");
        assertEquals(1, new StuckRelinkOther().value());
        assertEquals(List.of(below, above, cumulative), TestSupport.livepatch().patches());

        // a patch of another method still goes on and off, and the refused one unloads
        cumulative.unregister();
        PatchHandle other = TestSupport.livepatch().register(Patch.builder("stuck-other").replace(
                method(StuckRelinkOther.class, "value"), method(PersistentRelinkFailureTest.class, "five",
                        StuckRelinkOther.class)).build());
        other.enable();
        assertTrue(other.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(5, new StuckRelinkOther().value());
        other.disable();
        assertTrue(other.awaitTransition(Duration.ofSeconds(30)));
        other.unregister();
        assertTrue(Mbeans.statusText().contains("stuck-above [enabled]"));
        assertEquals(3, target.value());
    }

    /**
     * A disable's transition whose end never links the lower version (its start did): every thread has
     * moved and runs the lower version, the worker retries the end for good, and every other patch's
     * change is BUSY meanwhile. The operator's way out: enable the patch again (the reversed transition
     * needs only the versions it ran), then a cumulative patch takes the whole stack off.
     */
    @Test
    void aTransitionEndThatNeverLinksIsReversedAndTheStackTakenOffByACumulativePatch() throws Exception {
        below = RegistryAccess.get().register(Patch.builder("stuck-below").replace(method(StuckRelink.class, "value"),
                method(PersistentRelinkFailureTest.class, "two", StuckRelink.class)).build(),
                List.of(failingAfterStart(handle("two", StuckRelink.class))));
        below.enable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(30)));
        above = TestSupport.livepatch().register(Patch.builder("stuck-above").replace(method(StuckRelink.class, "value"),
                method(PersistentRelinkFailureTest.class, "three", StuckRelink.class)).build());
        above.enable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(3, target.value(), "the site is linked");
        PatchHandle other = TestSupport.livepatch().register(Patch.builder("stuck-other").replace(
                method(StuckRelinkOther.class, "value"), method(PersistentRelinkFailureTest.class, "five",
                        StuckRelinkOther.class)).build());

        startPasses.set(1); // the start of the disable's transition links the lower version once
        failing.set(true); // its end never does
        above.disable();
        // a hang detector, not a timing: the worker's first attempt fails at once
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (RegistryAccess.get().transitionEndFailure(above) == null && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        assertTrue(above.inTransition());
        assertEquals(2, target.value(), "every thread has moved: the lower version runs");
        assertTrue(Mbeans.statusText().contains("ending the transition failed, retrying: linking the hook of"
                + " faultapp.StuckRelink.value()I failed"), Mbeans.statusText());
        assertEquals(PatchException.Reason.BUSY, assertThrows(PatchException.class, other::enable).reason());

        above.enable(); // reversed
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(3, target.value());
        PatchHandle cumulative = TestSupport.livepatch().register(Patch.builder("stuck-way-out").replaceAll()
                .replace(method(StuckRelinkOther.class, "value"), method(PersistentRelinkFailureTest.class, "five",
                        StuckRelinkOther.class)).build());
        other.unregister();
        cumulative.enable();
        assertTrue(cumulative.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(List.of(cumulative), TestSupport.livepatch().patches());
        assertEquals(1, target.value());
        assertEquals(List.of(), BytecodeProbe.hookedMethods(StuckRelink.class));
    }

    private final java.util.concurrent.atomic.AtomicInteger startPasses = new java.util.concurrent.atomic.AtomicInteger();

    private ReplacementSource failingAfterStart(MethodHandle h) {
        return loader -> {
            if (failing.get() && linking() && startPasses.getAndUpdate(n -> Math.max(0, n - 1)) == 0) {
                throw new InternalError("injected: a failure of the JDK's method handles, every time");
            }
            return h;
        };
    }
}
