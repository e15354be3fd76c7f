package io.jlivepatch;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

/**
 * The first call of a class defined after its patch was enabled, made from a shadow variable's ctor or
 * a class's static initializer, never deadlocks with a callback that waits for that ctor or
 * initializer under jlivepatch's lock: the call runs the topmost version of a patch with nothing left
 * to run for the class (its own code when there is none) and the callbacks run at a later call. In a fresh JVM each ({@link LateCallbackLockDriver}), whose threads would otherwise wait
 * for ever; the bound is a hang detector, not a measurement.
 */
class LateCallbackLockTest {

    @ParameterizedTest
    @ValueSource(strings = {"ctor", "initializer"})
    void theFirstCallOfALateClassFromACtorOrInitializerNeverWaitsForACallbackThatWaitsForIt(String mode)
            throws Exception {
        ChildJvm.runOk(LateCallbackLockDriver.class, List.of(), List.of(mode), 60);
    }

    /** Three patches with callbacks still to run above one without: the deferred call runs that one. */
    @org.junit.jupiter.api.Test
    void aDeferredCallRunsTheTopmostVersionWithNothingLeftToRunBelowThreePendingPatches() throws Exception {
        ChildJvm.runOk(DeepLateCallbackLockDriver.class, List.of(), List.of(), 60);
    }
}
