package io.jlivepatch.internal.patch;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * jlivepatch's transformer, run close to the edge of its thread's stack, catches what its work throws
 * at its entry, where the JDK would drop it silently, and records why the class keeps its own code.
 * In a fresh JVM ({@link TransformerStackEdgeDriver}).
 */
class TransformerStackEdgeTest {

    @Test
    void nothingComesOutOfTheTransformerAtTheStacksEdge() throws Exception {
        ChildJvm.runOk(TransformerStackEdgeDriver.class, List.of(), List.of(), 300);
    }
}
