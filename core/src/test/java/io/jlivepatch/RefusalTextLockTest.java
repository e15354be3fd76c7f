package io.jlivepatch;

import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * A late class's prePatch refusal whose exception's text waits for a static initializer never
 * deadlocks with that initializer's first call of another class of the patch. In a fresh JVM
 * ({@link RefusalTextLockDriver}), whose threads would otherwise wait for ever; the bound is a hang
 * detector, not a measurement.
 */
class RefusalTextLockTest {

    @Test
    void aRefusalsTextThatWaitsForAnInitializerDoesNotHoldUpThatInitializersDeferredCall() throws Exception {
        ChildJvm.runOk(RefusalTextLockDriver.class, List.of(), List.of(), 60);
    }
}
