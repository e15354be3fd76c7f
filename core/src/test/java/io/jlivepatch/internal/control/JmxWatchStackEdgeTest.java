package io.jlivepatch.internal.control;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * jlivepatch's JMX watch, a transformer too, never loses its look at the edge of a stack: its MBeans
 * are registered once a server is up. In a fresh JVM ({@link JmxWatchStackEdgeDriver}).
 */
class JmxWatchStackEdgeTest {

    @Test
    void aClassDefinedAtTheStacksEdgeNeverLeavesTheWatchWithoutItsLook() throws Exception {
        ChildJvm.runOk(JmxWatchStackEdgeDriver.class, List.of(), List.of(), 300);
    }
}
