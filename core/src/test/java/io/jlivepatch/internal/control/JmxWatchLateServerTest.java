package io.jlivepatch.internal.control;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * jlivepatch's MBeans appear when the platform MBean server is created after the application had
 * already defined every {@code com.sun.jmx} class that creation needs. In a fresh JVM
 * ({@link JmxWatchLateServerDriver}).
 */
class JmxWatchLateServerTest {

    @Test
    void thePlatformServerCreatedAfterAPrivateServerHadDefinedItsClassesIsFound() throws Exception {
        ChildJvm.runOk(JmxWatchLateServerDriver.class, List.of(), List.of(), 120);
    }
}
