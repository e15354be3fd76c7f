package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static io.jlivepatch.agent.ServiceProcess.GREET_FIXED;
import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A cumulative patch JAR ({@code Livepatch-Replace: true}) loaded with the command replaces the
 * patches below it in one step, as an operator sees it: the service's answers, {@code status}, the
 * audit log; unloading it leaves the original code.
 */
class CumulativePatchIT {

    @TempDir
    Path dir;

    @Test
    void aCumulativeJarReplacesTheStackAndOperatorsSeeIt() throws Exception {
        try (ServiceProcess service = new ServiceProcess()) {
            assertEquals(0, Cli.run("load", service.pid(), TestJars.greeterFixJar(dir)).exitCode());
            assertEquals(GREET_FIXED, service.call());

            Path v2 = TestJars.patchJar(dir, "fix-v2.jar", Map.of("Livepatch-Name", "fix-v2",
                    "Livepatch-Description", "shout is louder; greet back to the original",
                    "Livepatch-Class", "agentapp.fix.ShoutFix", "Livepatch-Replace", "true",
                    "Livepatch-States", "3:1"), "agentapp.fix.ShoutFix");
            Cli load = Cli.run("load", service.pid(), v2);
            assertEquals(0, load.exitCode(), load.toString());
            assertEquals("hello x |y!!!", service.call(), "greet back to the original, shout patched");

            Cli status = Cli.run("status", service.pid(), "--log");
            assertTrue(status.out().contains("1 patch") && status.out().contains("1. fix-v2 [enabled, cumulative]")
                    && status.out().contains("states: 3:1"), status.toString());
            assertFalse(status.out().contains("1. fix-greet"), status.toString());
            assertTrue(status.out().contains("unregister fix-greet") && status.out().contains(
                    "ok (replaced by 'fix-v2', was enabled)"), status.toString());
            Cli json = Cli.run("status", service.pid(), "--json");
            assertTrue(json.out().contains("\"cumulative\":true") && json.out().contains("\"id\":3"), json.toString());

            assertEquals(0, Cli.run("unload", service.pid(), "fix-v2").exitCode());
            assertEquals(ORIGINAL, service.call());
        }
    }
}
