package io.jlivepatch.internal.patch;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

/**
 * A stack overflow at the edge of a thread's stack never leaves the thread marked as running
 * jlivepatch's code (every hook on it would run the original method: a patch silently off on that
 * thread) nor a stretch counted for good: the recursion guard takes a mark, or counts a stretch, only
 * with room left for its release. In a fresh JVM each ({@link StackEdgeDriver}).
 */
class StackEdgeTest {

    @ParameterizedTest
    @ValueSource(strings = {"marks", "stretches", "adopt"})
    void noMarkOutlivesItsStretchAtTheStacksEdge(String mode) throws Exception {
        ChildJvm.runOk(StackEdgeDriver.class, List.of(), List.of(mode), 300);
    }
}
