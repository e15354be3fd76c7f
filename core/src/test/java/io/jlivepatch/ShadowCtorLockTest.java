package io.jlivepatch;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

/**
 * A shadow variable's ctor that calls jlivepatch's API never deadlocks with a callback that asks for
 * the variable: the operation is refused at once, and awaitTransition returns false at once, as from a
 * static initializer ({@link InitializerLockTest}). In a fresh JVM each ({@link ShadowCtorLockDriver}),
 * whose threads would otherwise wait for ever; the bound is a hang detector, not a measurement.
 */
class ShadowCtorLockTest {

    @ParameterizedTest
    @ValueSource(strings = {"enable", "await"})
    void theApiFromAShadowCtorNeverWaitsForACallbackThatWaitsForTheVariable(String mode) throws Exception {
        ChildJvm.runOk(ShadowCtorLockDriver.class, List.of(), List.of(mode), 60);
    }
}
