package io.jlivepatch;

import faultapp.Relinked;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A change relinks the call sites of a linked hook (Dispatch.relink), and the JVM never bootstraps
 * a linked site again: a relink whose resolution of a site runs out of memory or stack must neither
 * leave that site on the method's own code while every patch of it says PATCHED, nor go unreported.
 * The shortage is injected where the link asks the patch below for its replacement, as
 * FirstLinkFailureTest injects it into a first link. Before, Dispatch set the site's guard to false
 * (the original code), did not queue it for the next link, and the relink returned as if it had
 * succeeded: the disable of the upper of two patches completed, and the method then ran neither
 * patch's code, only its own, with the lower patch PATCHED in status, until the next change.
 */
class RelinkShortageTest {

    /** How many of the next requests for the lower patch's replacement throw. */
    private final AtomicInteger failing = new AtomicInteger();
    /** How many requests for the lower patch's replacement pass before {@link #failing} counts. */
    private final AtomicInteger passing = new AtomicInteger();

    public static int two(Relinked self) {
        return 2;
    }

    public static int three(Relinked self) {
        return 3;
    }

    public static int eleven(Relinked self) {
        return 11;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        failing.set(0);
        passing.set(0);
        TestSupport.removeAllPatches();
    }

    /** Memory stays short for the whole disable: refused, with nothing changed, or done; never the own code. */
    @Test
    void aRelinkOutOfMemoryNeverLeavesAPatchedMethodOnItsOwnCode() throws Exception {
        disableTheUpperWhile(1_000);
    }

    /** A shortage of the moment: the relink tries the site once more, and the disable completes. */
    @Test
    void aRelinkWhoseShortagePassesCompletesTheChange() throws Exception {
        assertTrue(disableTheUpperWhile(1), "a shortage that passed refuses nothing");
    }

    /**
     * The end of the upper patch's transition finds no memory for the lower patch's replacement: it is
     * retried, and completes. The upper patch's other method loses its hook in the failed attempt
     * already; its call sites must be forgotten all the same (a retry has no hook left to remove), or
     * they keep the upper patch's replacement, and its classes, for the class's life.
     */
    @Test
    void aTransitionEndRetriedAfterAShortageForgetsTheSitesOfTheHooksItRemoved() throws Exception {
        PatchHandle below = enabledBelow();
        PatchHandle above = TestSupport.livepatch().register(Patch.builder("relink-oom-above")
                .replace(method(Relinked.class, "value"), method(RelinkShortageTest.class, "three", Relinked.class))
                .replace(method(Relinked.class, "other"), method(RelinkShortageTest.class, "eleven", Relinked.class))
                .build());
        above.enable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        Relinked target = new Relinked();
        assertEquals(3, target.value());
        assertEquals(11, target.other());
        assertEquals(2, linkedMethods(Relinked.class));

        passing.set(1); // the start of the transition links the lower patch once
        failing.set(2); // its end finds no memory, twice: the site's resolution and its retry
        above.disable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(0, failing.get(), "the end of the transition met the shortage");
        assertEquals(2, target.value());
        assertEquals(10, target.other());
        assertEquals(1, linkedMethods(Relinked.class), "only value() is still hooked");
    }

    /** The lower patch of value(), enabled: its replacement fails as {@link #passing} and {@link #failing} say. */
    private PatchHandle enabledBelow() throws Exception {
        MethodHandle two = MethodHandles.lookup().unreflect(method(RelinkShortageTest.class, "two", Relinked.class));
        ReplacementSource source = loader -> {
            if (passing.getAndUpdate(n -> Math.max(0, n - 1)) == 0
                    && failing.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new OutOfMemoryError("injected: Metaspace");
            }
            return two;
        };
        PatchHandle below = RegistryAccess.get().register(Patch.builder("relink-oom-below").replace(
                method(Relinked.class, "value"), method(RelinkShortageTest.class, "two", Relinked.class)).build(),
                List.of(source));
        below.enable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(30)));
        return below;
    }

    private static int linkedMethods(Class<?> c) throws ReflectiveOperationException {
        return (int) Class.forName("io.jlivepatch.internal.bootstrap.Dispatch", false, null)
                .getMethod("linkedMethods", Class.class).invoke(null, c);
    }

    /**
     * Two patches of one method, the lower one's replacement failing {@code failures} times from the
     * upper one's disable on. Returns whether the disable was done.
     */
    private boolean disableTheUpperWhile(int failures) throws Exception {
        PatchHandle below = enabledBelow();
        PatchHandle above = TestSupport.livepatch().register(Patch.builder("relink-oom-above").replace(
                method(Relinked.class, "value"), method(RelinkShortageTest.class, "three", Relinked.class)).build());
        above.enable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        Relinked target = new Relinked();
        assertEquals(3, target.value(), "the site is linked, to the upper patch");

        // Taking the upper patch off relinks the site to the lower one, whose replacement cannot be
        // had while memory is short.
        failing.set(failures);
        boolean disabled;
        try {
            above.disable();
            disabled = true;
        } catch (PatchException refused) {
            disabled = false;
        }
        if (disabled) {
            assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        }
        int runs = target.value();
        failing.set(0);
        assertEquals(disabled ? 2 : 3, runs, (disabled ? "disabled: the lower patch runs" : "refused: the upper"
                + " patch still runs, nothing was changed") + "; status: " + above.functions() + " "
                + below.functions());
        assertEquals(!disabled, above.isEnabled());
        assertTrue(below.isEnabled());
        return disabled;
    }
}
