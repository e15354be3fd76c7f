package io.jlivepatch;

import faultapp.RelinkFailed;
import io.jlivepatch.internal.patch.ReplacementSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A change relinks the call sites of a linked hook, and a relink that fails otherwise than for a
 * shortage (RelinkShortageTest) must not send a method that runs a patch to its own code, which
 * neither the change nor the state before it says runs. The failure is injected where the link asks
 * the lower patch for its replacement, as FirstLinkFailureTest injects it into a first link. Before,
 * the disable of the upper of two patches completed while that link failed, and the method then ran
 * its own code (neither patch's) for every thread, those the transition had not moved yet included,
 * until the next change; status said FAILED for both patches.
 */
class RelinkFailureTest {

    /** How many of the next requests for the lower patch's replacement throw. */
    private final AtomicInteger failing = new AtomicInteger();

    public static int two(RelinkFailed self) {
        return 2;
    }

    public static int three(RelinkFailed self) {
        return 3;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        failing.set(0);
        TestSupport.removeAllPatches();
    }

    /** The disable's link fails: refused with nothing changed, the upper patch runs and says so; a retry completes. */
    @Test
    void aRelinkThatFailsRefusesTheChangeAndKeepsTheVersionThatRan() throws Exception {
        PatchHandle below = enabledBelow();
        PatchHandle above = TestSupport.livepatch().register(Patch.builder("relink-fail-above").replace(
                method(RelinkFailed.class, "value"), method(RelinkFailureTest.class, "three", RelinkFailed.class)).build());
        above.enable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        RelinkFailed target = new RelinkFailed();
        assertEquals(3, target.value(), "the site is linked, to the upper patch");

        failing.set(1_000); // every link of the lower patch's replacement fails until reset
        PatchException refused = assertThrows(PatchException.class, above::disable);
        int runs = target.value();
        failing.set(0);
        assertEquals(PatchException.Reason.TRANSFORM_FAILED, refused.reason(), refused.getMessage());
        assertTrue(refused.getMessage().contains("linking the hook of faultapp.RelinkFailed.value()I failed"
                + " (java.lang.InternalError: injected"), refused.getMessage());
        assertTrue(refused.getMessage().endsWith("nothing was changed"), refused.getMessage());
        assertEquals(3, runs, "refused: the upper patch still runs; status: " + above.functions());
        assertTrue(above.isEnabled());
        assertFalse(above.inTransition());
        assertEquals(FunctionStatus.State.PATCHED, above.functions().get(0).state(), above.functions().toString());
        assertTrue(RegistryAccess.get().audit().entries().stream().anyMatch(e -> e.operation().equals("disable")
                && e.patch().equals("relink-fail-above") && e.outcome().startsWith("refused TRANSFORM_FAILED: ")
                && e.outcome().contains("linking the hook of faultapp.RelinkFailed.value()I failed")),
                "the refusal is audited: " + RegistryAccess.get().audit().entries());

        above.disable(); // the link works again
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(2, target.value(), "disabled: the lower patch runs");
        assertEquals(FunctionStatus.State.PATCHED, below.functions().get(0).state(), below.functions().toString());
    }

    /**
     * The end of the upper patch's disable transition fails to link the lower patch's replacement: the
     * transition keeps its links (every thread has moved: the lower patch runs), status says why it has
     * not ended, and it ends once it links.
     */
    @Test
    void aTransitionEndThatKeepsFailingSaysSoInStatus() throws Exception {
        enabledBelow();
        PatchHandle above = TestSupport.livepatch().register(Patch.builder("relink-fail-above").replace(
                method(RelinkFailed.class, "value"), method(RelinkFailureTest.class, "three", RelinkFailed.class)).build());
        above.enable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        RelinkFailed target = new RelinkFailed();
        assertEquals(3, target.value());

        passing.set(1); // the start of the transition links the lower patch once
        failing.set(Integer.MAX_VALUE); // its end fails until reset
        above.disable();
        // a hang detector, not a timing: the worker's first attempt fails at once
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (RegistryAccess.get().transitionEndFailure(above) == null && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        String status = Mbeans.statusText();
        String json = (String) Mbeans.invoke(Mbeans.livepatch(), "statusJson", null, null);
        int runs = target.value();
        failing.set(0);
        assertEquals(2, runs, "every thread has moved: the lower patch runs, never the own code");
        assertTrue(status.contains("ending the transition failed, retrying: linking the hook of"
                + " faultapp.RelinkFailed.value()I failed (java.lang.InternalError: injected"), status);
        assertTrue(json.contains("\"transitionEndFailure\":\"linking the hook of faultapp.RelinkFailed.value()I"),
                json);
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)), "it ends once it links");
        assertEquals(2, target.value());
        assertEquals(null, RegistryAccess.get().transitionEndFailure(above));
    }

    /**
     * The end of the upper patch's disable transition fails to link the lower patch's replacement: the
     * transition keeps its links (every thread has moved: the lower patch runs) and ends once it links.
     */
    @Test
    void aTransitionEndWhoseRelinkFailsKeepsItsLinksAndEndsOnceItLinks() throws Exception {
        enabledBelow();
        PatchHandle above = TestSupport.livepatch().register(Patch.builder("relink-fail-above").replace(
                method(RelinkFailed.class, "value"), method(RelinkFailureTest.class, "three", RelinkFailed.class)).build());
        above.enable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        RelinkFailed target = new RelinkFailed();
        assertEquals(3, target.value());

        passing.set(1); // the start of the transition links the lower patch once
        failing.set(2); // its end fails twice: that link and the first retry
        above.disable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(0, failing.get(), "the end of the transition met the failure");
        assertEquals(2, target.value(), "the lower patch runs, never the own code");
    }

    /**
     * The end of a transition that keeps failing is on record once per distinct failure, not once per
     * retry, and its end when a retry succeeds follows it. Before, the audit log had the transition's end
     * only, as if it had never failed.
     */
    @Test
    void aTransitionEndThatFailsIsOnRecordOnceAndSoIsItsEnd() throws Exception {
        enabledBelow();
        PatchHandle above = TestSupport.livepatch().register(Patch.builder("relink-fail-audited").replace(
                method(RelinkFailed.class, "value"), method(RelinkFailureTest.class, "three", RelinkFailed.class)).build());
        above.enable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        RelinkFailed target = new RelinkFailed();
        assertEquals(3, target.value(), "the site is linked, to the upper patch");

        passing.set(1); // the start of the transition links the lower patch once
        failing.set(Integer.MAX_VALUE); // its end fails until reset
        thrown.set(0);
        above.disable();
        // a hang detector, not a timing: the disable's own attempt and two of the worker's retries fail
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (thrown.get() < 3 && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        int failed = thrown.get();
        failing.set(0);
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)), "it ends once it links");
        assertTrue(failed >= 3, "the end failed " + failed + " times");
        assertEquals(2, target.value());

        List<String> records = RegistryAccess.get().audit().entries().stream()
                .filter(e -> e.patch().equals("relink-fail-audited"))
                .map(e -> e.operation() + "|" + e.outcome() + "|" + e.requester()).toList();
        String failure = "transition|ending the transition failed, retrying: linking the hook of"
                + " faultapp.RelinkFailed.value()I failed (java.lang.InternalError: injected";
        assertEquals(6, records.size(), records.toString());
        assertEquals(List.of("register|ok|api", "enable|ok|api", "transition|ok (patching complete)|api",
                "disable|ok|api"), records.subList(0, 4));
        assertTrue(records.get(4).startsWith(failure) && records.get(4).endsWith("|api"), records.toString());
        assertEquals("transition|ok (unpatching complete)|jlivepatch (for api)", records.get(5));
    }

    /** How many requests for the lower patch's replacement threw (an injected failure). */
    private final AtomicInteger thrown = new AtomicInteger();

    /** How many requests for the lower patch's replacement pass before {@link #failing} counts. */
    private final AtomicInteger passing = new AtomicInteger();

    /** Whether the source is asked by a link (status asks it too, whether the patch's class is initialized). */
    private static boolean linking() {
        return StackWalker.getInstance().walk(s -> s.anyMatch(f -> f.getClassName().endsWith(".ReplacementLinker")));
    }

    private PatchHandle enabledBelow() throws Exception {
        MethodHandle two = MethodHandles.lookup().unreflect(method(RelinkFailureTest.class, "two", RelinkFailed.class));
        ReplacementSource source = loader -> {
            if (linking() && passing.getAndUpdate(n -> Math.max(0, n - 1)) == 0
                    && failing.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                thrown.incrementAndGet();
                throw new InternalError("injected: a failure of the JDK's method handles");
            }
            return two;
        };
        PatchHandle below = RegistryAccess.get().register(Patch.builder("relink-fail-below").replace(
                method(RelinkFailed.class, "value"), method(RelinkFailureTest.class, "two", RelinkFailed.class)).build(),
                List.of(source));
        below.enable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(30)));
        return below;
    }
}
