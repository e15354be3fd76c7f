package io.jlivepatch;

import com.acme.tripwire.ErrorTarget;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An Error a replacement throws itself at its first call, the call whose linking jlivepatch runs
 * (and whose own shortages and failures it handles: FirstLinkFailureTest), reaches the caller as it
 * was thrown, once: jlivepatch takes it for no failure of its linking, runs no other version for
 * that call, and the function stays PATCHED, its next call running the replacement.
 */
class ReplacementErrorsTest {

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    @ParameterizedTest
    @ValueSource(strings = {"InternalError", "OutOfMemoryError", "StackOverflowError", "ThreadDeath",
            "NoClassDefFoundError", "ExceptionInInitializerError"})
    void anErrorOfTheReplacementAtItsFirstCallReachesTheCallerAndIsNoLinkFailure(String kind) throws Exception {
        ErrorTarget.kind = kind;
        ErrorTarget.CALLS.set(0);
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("replacement-error-" + kind)
                .replace(method(ErrorTarget.class, "greet"), method(ErrorTarget.class, "fixedGreet")).build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        Throwable thrown = assertThrows(Throwable.class, ErrorTarget::greet);
        assertEquals(kind, thrown.getClass().getSimpleName(), String.valueOf(thrown));
        assertEquals("fixed", ErrorTarget.greet());
        assertEquals(2, ErrorTarget.CALLS.get(), "the replacement ran once per call, and nothing else did");
        assertEquals(FunctionStatus.State.PATCHED, h.functions().get(0).loaders().get(0).state(),
                h.functions().toString());
    }
}
