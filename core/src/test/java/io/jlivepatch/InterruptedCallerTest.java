package io.jlivepatch;

import faultapp.InterruptedCaller;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The API's operations asked by an interrupted thread (an application's request thread that was
 * interrupted, say): its waits (the lock, the retransformation, the transition's first attempt, the
 * audit record) neither fail nor clear the interrupt; every step is done and on record.
 */
class InterruptedCallerTest {

    public static int two(InterruptedCaller self) {
        return 2;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        Thread.interrupted();
        TestSupport.removeAllPatches();
    }

    /** Runs {@code step} with this thread interrupted; asserts the interrupt is still set after it. */
    private interface Step {
        void run() throws Exception;
    }

    private static void interrupted(Step step) throws Exception {
        Thread.currentThread().interrupt();
        boolean kept;
        try {
            step.run();
        } finally {
            kept = Thread.interrupted();
        }
        assertTrue(kept, "the caller's interrupt status is kept");
    }

    @Test
    void registerEnableDisableAndUnregisterFromAnInterruptedThreadAreAllDone() throws Exception {
        InterruptedCaller target = new InterruptedCaller();
        PatchHandle[] h = new PatchHandle[1];
        Livepatch lp = livepatch();
        Patch patch = Patch.builder("interrupted-caller").replace(method(InterruptedCaller.class, "value"),
                method(InterruptedCallerTest.class, "two", InterruptedCaller.class)).build();
        interrupted(() -> h[0] = lp.register(patch));
        interrupted(() -> h[0].enable());
        assertTrue(h[0].awaitTransition(Duration.ofSeconds(30)));
        assertEquals(2, target.value());
        interrupted(() -> h[0].disable());
        assertTrue(h[0].awaitTransition(Duration.ofSeconds(30)));
        assertEquals(1, target.value());
        interrupted(() -> h[0].unregister());
        assertFalse(livepatch().find("interrupted-caller").isPresent());

        List<String> audit = RegistryAccess.get().audit().entries().stream()
                .filter(e -> e.patch().equals("interrupted-caller"))
                .map(e -> e.operation() + ": " + e.outcome()).toList();
        assertEquals(List.of("register: ok", "enable: ok", "transition: ok (patching complete)", "disable: ok",
                "transition: ok (unpatching complete)", "unregister: ok"), audit);
        assertTrue(Mbeans.log().length > 0);
    }
}
