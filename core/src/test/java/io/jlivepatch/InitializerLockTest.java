package io.jlivepatch;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

/**
 * A patch class's static initializer that calls jlivepatch's API never deadlocks with a callback that
 * needs the class: the operation is refused at once, and awaitTransition returns false at once. In a
 * fresh JVM each ({@link InitializerLockDriver}), whose threads would otherwise wait for ever; the
 * bound is a hang detector, not a measurement.
 */
class InitializerLockTest {

    @ParameterizedTest
    @ValueSource(strings = {"disable", "await"})
    void theApiFromAPatchClassInitializerNeverWaitsForACallbackThatWaitsForTheClass(String mode) throws Exception {
        ChildJvm.runOk(InitializerLockDriver.class, List.of(), List.of(mode), 60);
    }
}
