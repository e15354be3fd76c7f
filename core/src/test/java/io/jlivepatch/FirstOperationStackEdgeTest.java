package io.jlivepatch;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

/**
 * The JVM's first operation of jlivepatch's API, asked at the edge of an application thread's stack,
 * never leaves jlivepatch unusable: an operation with room afterwards works. In a fresh JVM each
 * ({@link FirstOperationStackEdgeDriver}), the driver's recursion interpreted so that the sweep's
 * steps are even, and application classes not verified, so that the initializers, not the verifier,
 * are what meets the edge first.
 */
class FirstOperationStackEdgeTest {

    @ParameterizedTest
    @ValueSource(strings = {"register", "enable"})
    void aFirstOperationAtTheStacksEdgeLeavesJlivepatchUsable(String mode) throws Exception {
        ChildJvm.runOk(FirstOperationStackEdgeDriver.class,
                List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:-BytecodeVerificationRemote", "-XX:CompileCommand=quiet",
                        "-XX:CompileCommand=exclude," + StackEdgeSweep.class.getName() + "::down"),
                List.of(mode), 300);
    }
}
