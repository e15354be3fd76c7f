package io.jlivepatch;

import faultapp.FirstLinked;
import io.jlivepatch.internal.patch.ReplacementSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first call of a hooked method links its call sites (Dispatch's bootstrap, ReplacementLinker),
 * and a site the JVM has linked is never bootstrapped again. A link that fails must not leave the
 * method on its own code for good while status says PATCHED. The failure is injected where the link
 * asks the patch's replacement source for its handle (as FailureRefusalTest injects them into
 * operations), at that one link only. Before, Dispatch took every failure of the link for "run the
 * original" and marked the site linked: an OutOfMemoryError there ran the original code for good (as
 * a StackOverflowError did until 120b1be), and so did an InternalError, both with status PATCHED.
 */
class FirstLinkFailureTest {

    /** What the source throws at its next call (once), else nothing. */
    private final AtomicReference<Error> nextLink = new AtomicReference<>();

    public static int two(FirstLinked self) {
        return 2;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        nextLink.set(null);
        TestSupport.removeAllPatches();
    }

    /** As the JVM's own linking of the call would: the call gets the error, and the next call links. */
    @Test
    void outOfMemoryAtTheFirstLinkReachesTheCallAndTheNextCallRunsThePatch() throws Exception {
        PatchHandle h = enabled("first-link-oom");
        OutOfMemoryError oom = new OutOfMemoryError("injected: Metaspace");
        nextLink.set(oom);
        FirstLinked target = new FirstLinked();
        assertSame(oom, assertThrows(OutOfMemoryError.class, target::value,
                "the first call, whose link found no memory, runs neither version"));
        assertNull(nextLink.get(), "the failure was the link's");

        assertEquals(2, target.value(), "the next call links the site, to the patch");
        assertEquals(2, new FirstLinked().value());
        assertEquals(FunctionStatus.State.PATCHED, h.functions().get(0).state(), h.functions().toString());
    }

    /** Any other failure of the link would fail every call if thrown: the own code runs, and status says FAILED. */
    @Test
    void anInternalErrorAtTheFirstLinkRunsTheOwnCodeAndShowsFailed() throws Exception {
        PatchHandle h = enabled("first-link-internal");
        nextLink.set(new InternalError("injected: a failure of the JDK's method handles"));
        FirstLinked target = new FirstLinked();
        assertEquals(1, target.value(), "the application's call goes on, with the method's own code");
        assertNull(nextLink.get(), "the failure was the link's");
        assertEquals(1, target.value(), "the site stays linked to the own code until the next change");

        FunctionStatus.LoaderStatus status = h.functions().get(0).loaders().get(0);
        assertEquals(FunctionStatus.State.FAILED, status.state(), "status must not say PATCHED: " + h.functions());
        assertTrue(status.detail().startsWith("linking the hook failed (java.lang.InternalError: injected: a failure"
                + " of the JDK's method handles)"), status.detail());

        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(2, target.value(), "the next change links it again");
        assertEquals(FunctionStatus.State.PATCHED, h.functions().get(0).state(), h.functions().toString());
    }

    private PatchHandle enabled(String name) throws Exception {
        MethodHandle two = MethodHandles.lookup().unreflect(method(FirstLinkFailureTest.class, "two", FirstLinked.class));
        ReplacementSource source = loader -> {
            Error e = nextLink.getAndSet(null);
            if (e != null) {
                throw e;
            }
            return two;
        };
        PatchHandle h = RegistryAccess.get().register(Patch.builder(name).replace(method(FirstLinked.class, "value"),
                method(FirstLinkFailureTest.class, "two", FirstLinked.class)).build(), List.of(source));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        return h;
    }
}
