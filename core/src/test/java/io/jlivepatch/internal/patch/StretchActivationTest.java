package io.jlivepatch.internal.patch;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

/**
 * No stretch of jlivepatch's own code runs unmarked once hooks exist: a stretch that a background
 * thread began before the hooks' installation (RecursionGuard.enterIfActive) is waited for by the
 * installation, which the activating thread's own stretch does not hold up, and a stretch begun after
 * it is marked; the wait is bounded and ends with a WARNING. In a fresh JVM each: jlivepatch is active
 * in this one already.
 */
class StretchActivationTest {

    @ParameterizedTest
    @ValueSource(strings = {"waits", "bounded"})
    void activationWaitsForAStretchBegunBeforeIt(String mode) throws Exception {
        ChildJvm.runOk(StretchActivationDriver.class, List.of(), List.of(mode), 120);
    }

    @org.junit.jupiter.api.Test
    void theFirstOperationActivatesBeforeTakingTheRegistrysLock() throws Exception {
        ChildJvm.runOk(RegistryStretchDriver.class, List.of(), List.of(), 120);
    }
}
