package io.jlivepatch.internal.patch;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

/**
 * No stretch of jlivepatch's own code runs unmarked once hooks exist: a stretch that a thread began
 * before the hooks' installation (RecursionGuard.enterIfActive) is marked by the installation, the
 * activating thread's own included, without waiting for it, and a stretch begun after it is marked;
 * the stretches it cannot mark (more than its slots) are waited for, for a bounded time that ends with
 * a WARNING. In a fresh JVM each: jlivepatch is active in this one already.
 */
class StretchActivationTest {

    @ParameterizedTest
    @ValueSource(strings = {"adopts", "bounded", "race"})
    void activationMarksTheStretchesBegunBeforeIt(String mode) throws Exception {
        ChildJvm.runOk(StretchActivationDriver.class, List.of(), List.of(mode), 120);
    }

    @ParameterizedTest
    @ValueSource(strings = {"adopts", "unslotted"})
    void theFirstOperationActivatesBeforeTakingTheRegistrysLock(String mode) throws Exception {
        ChildJvm.runOk(RegistryStretchDriver.class, List.of(), List.of(mode), 120);
    }
}
