package io.jlivepatch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

/**
 * A stack overflow at the edge of an application thread's stack never leaves jlivepatch's lock held:
 * neither in the first call of a class defined while a patch with callbacks for it is enabled, nor
 * in an operation of the API; and the patch runs from the next call. In a fresh JVM each ({@link LockStackEdgeDriver}).
 */
class LockStackEdgeTest {

    @ParameterizedTest
    @ValueSource(strings = {"late", "enable"})
    void noCallAtTheStacksEdgeLeavesTheLockHeld(String mode) throws Exception {
        ChildJvm.runOk(LockStackEdgeDriver.class, List.of(), List.of(mode), 300);
    }

    /** Nor does it leave a hook linked to the original code for good: the next call links it again. */
    @Test
    void aHookFirstCalledAtTheStacksEdgeRunsThePatchFromTheNextCall() throws Exception {
        ChildJvm.runOk(LockStackEdgeDriver.class, List.of(), List.of("link"), 300);
    }
}
