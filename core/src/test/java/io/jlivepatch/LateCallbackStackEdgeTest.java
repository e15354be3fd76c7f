package io.jlivepatch;

import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * A stack overflow at the edge of a thread's stack, in the first call of a class defined while a
 * patch with callbacks for it is enabled, never leaves jlivepatch's lock held. In a fresh JVM
 * ({@link LateCallbackStackEdgeDriver}).
 */
class LateCallbackStackEdgeTest {

    @Test
    void aFirstCallAtTheStacksEdgeNeverLeavesTheLockHeld() throws Exception {
        ChildJvm.runOk(LateCallbackStackEdgeDriver.class, List.of(), List.of(), 300);
    }
}
