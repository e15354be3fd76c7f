package nojmx;

import io.jlivepatch.ChildJvm;

import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * A runtime without the {@code java.management} module (a {@code jlink}ed image, {@code --limit-modules}):
 * jlivepatch installs and patches without JMX, and nothing of it dies on standard error. Before, its
 * thread looking for an MBean server died with {@code NoClassDefFoundError: javax/management/MBeanServerFactory}
 * at every start (hostile trial).
 */
class NoJmxTest {

    @Test
    void jlivepatchRunsWithoutJavaManagement() throws Exception {
        ChildJvm.runOk(NoJmxDriver.class, List.of("--limit-modules",
                "java.base,java.instrument,java.logging,jdk.attach"), List.of(), 60);
    }
}
