package io.jlivepatch;

import faultapp.Covered;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.invoke.MethodHandle;
import java.time.Duration;

import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two enabled patches of one method: the top one runs (the kernel's func_stack). Status must say
 * which: the lower patch's function is hooked and its patch enabled (PATCHED), but when the patch
 * above it replaces the method without calling the version below (@Next), the lower version never
 * runs, and its line says so. Before, both lines read plain `patched`, and nothing told an operator
 * that the lower patch's fix was not running.
 */
class CoveredStatusTest {

    public static int two(Covered self) {
        return 2;
    }

    public static int three(Covered self) {
        return 3;
    }

    public static int tenMore(Covered self, @Next MethodHandle next) throws Throwable {
        return 10 + (int) next.invokeExact(self);
    }

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    @Test
    void aPatchCoveredByOneAboveWithoutNextSaysItsVersionDoesNotRun() throws Exception {
        PatchHandle below = enabled("covered-below", "two");
        PatchHandle above = enabled("covered-above", "three");
        assertEquals(3, new Covered().value());

        FunctionStatus.LoaderStatus lower = below.functions().get(0).loaders().get(0);
        assertEquals(FunctionStatus.State.PATCHED, lower.state());
        assertEquals("patch 'covered-above' above it replaces the method without calling the version below (@Next):"
                + " its version runs, not this one", lower.detail());
        assertEquals("", above.functions().get(0).loaders().get(0).detail(), "the top one runs");
        String status = Mbeans.statusText();
        assertTrue(status.contains("]: patched (patch 'covered-above' above it replaces the method"), status);

        above.disable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(2, new Covered().value());
        assertEquals("", below.functions().get(0).loaders().get(0).detail(), "nothing above it: it runs");
    }

    @Test
    void aPatchUnderOneThatCallsItThroughNextRunsAndSaysNothingMore() throws Exception {
        PatchHandle below = enabled("covered-below", "two");
        PatchHandle above = TestSupport.livepatch().register(Patch.builder("covered-next").replace(
                method(Covered.class, "value"), method(CoveredStatusTest.class, "tenMore", Covered.class,
                        MethodHandle.class)).build());
        above.enable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(12, new Covered().value());
        assertEquals("", below.functions().get(0).loaders().get(0).detail(), below.functions().toString());
    }

    private static PatchHandle enabled(String name, String replacement) throws Exception {
        PatchHandle h = TestSupport.livepatch().register(Patch.builder(name).replace(method(Covered.class, "value"),
                method(CoveredStatusTest.class, replacement, Covered.class)).build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        return h;
    }
}
