package io.jlivepatch;

import faultapp.Reaudited;
import io.jlivepatch.internal.core.AuditLog;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A link failure is audited once per patch, class loader and function (LinkFailureAudit), so that the
 * relinks of every change do not repeat it. A patch registered again under the same name (unloaded,
 * then loaded again: a new JAR of the same fix, say) is another registration, with its own provenance:
 * its failure in the same loader and function must be on record too, as status shows it. Before, the
 * audit thread took it for the first registration's, already audited, and wrote nothing.
 */
class LinkFailureReauditTest {

    /** What the source throws at its next call (once), else nothing. */
    private final AtomicReference<Error> nextLink = new AtomicReference<>();

    public static int two(Reaudited self) {
        return 2;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        nextLink.set(null);
        TestSupport.removeAllPatches();
    }

    @Test
    void aPatchRegisteredAgainHasItsOwnLinkFailureAudited() throws Exception {
        PatchHandle first = failedAtItsFirstLink();
        assertEquals(1, LateLoaderAuditTest.awaitLinkFailures("reaudited", 1).size());
        first.disable();
        assertTrue(first.awaitTransition(Duration.ofSeconds(30)));
        first.unregister();

        PatchHandle again = failedAtItsFirstLink();
        List<AuditLog.Entry> entries = LateLoaderAuditTest.awaitLinkFailures("reaudited", 2);
        assertEquals(2, entries.size(), "the second registration's failure is on record too: " + entries);
        assertTrue(entries.get(1).outcome().contains("faultapp.Reaudited.value()I keeps its own code: linking the hook"
                + " failed (java.lang.InternalError: injected"), entries.get(1).outcome());
        assertEquals(FunctionStatus.State.FAILED, again.functions().get(0).state(), again.functions().toString());
    }

    /** Patch "reaudited", registered and enabled, whose first link fails: FAILED, the own code runs. */
    private PatchHandle failedAtItsFirstLink() throws Exception {
        MethodHandle two = MethodHandles.lookup().unreflect(method(LinkFailureReauditTest.class, "two", Reaudited.class));
        ReplacementSource source = loader -> {
            Error e = nextLink.getAndSet(null);
            if (e != null) {
                throw e;
            }
            return two;
        };
        PatchHandle h = RegistryAccess.get().register(Patch.builder("reaudited").replace(method(Reaudited.class, "value"),
                method(LinkFailureReauditTest.class, "two", Reaudited.class)).build(), List.of(source));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        nextLink.set(new InternalError("injected: a failure of the JDK's method handles"));
        assertEquals(1, new Reaudited().value(), "the link failed: the own code runs");
        assertEquals(FunctionStatus.State.FAILED, h.functions().get(0).state(), h.functions().toString());
        return h;
    }
}
