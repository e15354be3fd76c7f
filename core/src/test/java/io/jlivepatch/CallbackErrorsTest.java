package io.jlivepatch;

import faultapp.CallbackFailed;
import io.jlivepatch.internal.core.AuditLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A callback that throws an Error, not an exception: out of memory or stack in the patch's code, a
 * class of the patch that fails to link, an assertion. The patch's failure as any exception is: a
 * prePatch refuses the enable with nothing changed, the others are on record and stop nothing; the
 * lock is let go, the transition ends, and the patch goes on through its life cycle.
 */
class CallbackErrorsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    public static int two(CallbackFailed self) {
        return 2;
    }

    /** Throws {@link #error} from the callback {@link #failIn} names, and records every callback. */
    private static final class Throwing implements Callbacks {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        volatile String failIn;
        final String error;

        Throwing(String error) {
            this.error = error;
        }

        @Override
        public void prePatch(Class<?> target) {
            run("prePatch");
        }

        @Override
        public void postPatch(Class<?> target) {
            run("postPatch");
        }

        @Override
        public void preUnpatch(Class<?> target) {
            run("preUnpatch");
        }

        @Override
        public void postUnpatch(Class<?> target) {
            run("postUnpatch");
        }

        private void run(String kind) {
            events.add(kind);
            if (kind.equals(failIn)) {
                throw switch (error) {
                    case "OutOfMemoryError" -> new OutOfMemoryError("injected: Java heap space");
                    case "StackOverflowError" -> new StackOverflowError("injected");
                    case "NoClassDefFoundError" -> new NoClassDefFoundError("com/acme/Missing");
                    default -> new AssertionError("injected");
                };
            }
        }
    }

    @AfterEach
    void cleanUp() throws PatchException {
        for (PatchHandle h : livepatch().patches()) {
            try {
                h.awaitTransition(WAIT);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        TestSupport.removeAllPatches();
    }

    private static PatchHandle registered(String name, Throwing cb) throws PatchException {
        return livepatch().register(Patch.builder(name).replace(method(CallbackFailed.class, "value"),
                method(CallbackErrorsTest.class, "two", CallbackFailed.class)).callbacks("faultapp.CallbackFailed", cb)
                .build());
    }

    private static List<AuditLog.Entry> auditOf(String patch) {
        return RegistryAccess.get().audit().entries().stream().filter(e -> e.patch().equals(patch)).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"OutOfMemoryError", "StackOverflowError", "NoClassDefFoundError", "AssertionError"})
    void aPrePatchThatThrowsAnErrorRefusesTheEnableAndChangesNothing(String error) throws Exception {
        Throwing cb = new Throwing(error);
        cb.failIn = "prePatch";
        String name = "cb-error-pre-" + error;
        PatchHandle h = registered(name, cb);
        CallbackFailed target = new CallbackFailed();

        PatchException e = assertThrows(PatchException.class, h::enable);

        assertEquals(PatchException.Reason.CALLBACK_FAILED, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("prePatch of faultapp.CallbackFailed") && e.getMessage().contains(error)
                && e.getMessage().contains("nothing was changed"), e.getMessage());
        assertTrue(h.isRegistered() && !h.isEnabled() && !h.inTransition());
        assertEquals(1, target.value());
        assertEquals(FunctionStatus.State.NOT_PATCHED, h.functions().get(0).state(), h.functions().toString());
        List<AuditLog.Entry> audit = auditOf(name);
        assertTrue(audit.get(audit.size() - 1).outcome().startsWith("refused CALLBACK_FAILED"), audit.toString());

        cb.failIn = null;
        cb.events.clear();
        assertLifeCycleGoesOn(h, target);
        assertEquals(List.of("prePatch", "postPatch", "preUnpatch", "postUnpatch"), cb.events);
    }

    @ParameterizedTest
    @ValueSource(strings = {"OutOfMemoryError", "StackOverflowError", "NoClassDefFoundError", "AssertionError"})
    void theOtherCallbacksThatThrowAnErrorAreOnRecordAndStopNothing(String error) throws Exception {
        Throwing cb = new Throwing(error);
        String name = "cb-error-other-" + error;
        PatchHandle h = registered(name, cb);
        CallbackFailed target = new CallbackFailed();
        long failures = 0;
        for (String kind : List.of("postPatch", "preUnpatch", "postUnpatch")) {
            cb.failIn = kind;
            h.enable();
            assertTrue(h.awaitTransition(WAIT));
            assertTrue(h.isEnabled());
            assertEquals(2, target.value());
            h.disable();
            assertTrue(h.awaitTransition(WAIT));
            assertFalse(h.isEnabled());
            assertEquals(1, target.value());
            assertEquals(++failures, RegistryAccess.get().callbackFailures(h), kind); // what a command compares
            String failure = RegistryAccess.get().lastCallbackFailure(h);
            assertTrue(failure != null && failure.startsWith(kind + " of faultapp.CallbackFailed")
                    && failure.contains(error), failure);
            assertTrue(auditOf(name).stream().anyMatch(a -> a.operation().equals("callback")
                    && a.outcome().startsWith("failed " + kind + " of faultapp.CallbackFailed")), auditOf(name).toString());
        }
        assertTrue(auditOf(name).stream().filter(a -> !a.operation().equals("callback"))
                .allMatch(a -> a.outcome().startsWith("ok")), auditOf(name).toString());
        cb.failIn = null;
        assertLifeCycleGoesOn(h, target);
    }

    /** The patch enables, disables and unregisters; status answers; the target runs the right version. */
    private static void assertLifeCycleGoesOn(PatchHandle h, CallbackFailed target) throws Exception {
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(2, target.value());
        assertTrue(Mbeans.statusText().contains(h.name() + " [enabled]"), Mbeans.statusText());
        h.disable();
        assertTrue(h.awaitTransition(WAIT));
        assertEquals(1, target.value());
        h.unregister();
        assertFalse(livepatch().find(h.name()).isPresent());
    }
}
