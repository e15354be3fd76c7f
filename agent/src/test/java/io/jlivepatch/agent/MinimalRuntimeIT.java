package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command run on a Java runtime without {@code jdk.attach} (a {@code jlink}ed image, here
 * {@code --limit-modules}): a refusal that says why, not a {@code NoClassDefFoundError} of
 * {@code com/sun/tools/attach/VirtualMachineDescriptor} and its stack trace (hostile trial).
 */
class MinimalRuntimeIT {

    @Test
    void aRuntimeWithoutTheAttachModuleIsRefusedWithTheReason() throws Exception {
        Process p = new ProcessBuilder(List.of(TestJars.java(), "--limit-modules", "java.base,java.logging", "-jar",
                TestJars.AGENT.toString(), "list")).redirectErrorStream(true).start();
        assertTrue(p.waitFor(CliProcess.HANG_SECONDS, TimeUnit.SECONDS), "jlivepatch list hangs");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(1, p.exitValue(), out);
        assertTrue(out.contains("has no jdk.attach module"), out);
        assertFalse(out.contains("NoClassDefFoundError"), out);
    }
}
