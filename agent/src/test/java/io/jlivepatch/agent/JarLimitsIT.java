package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static io.jlivepatch.agent.ServiceProcess.GREET_FIXED;
import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The patch JAR limits as an operator meets them: agent options in the target, the command's own check. */
class JarLimitsIT {


    @TempDir
    Path dir;

    @Test
    void aLimitGivenAsAnAgentOptionRefusesAJarTheDefaultsAccept() throws Exception {
        Path patches = Files.createDirectory(dir.resolve("patches"));
        Path jar = TestJars.greeterFixJar(patches);
        long size = Files.size(jar);
        String agent = "-javaagent:" + TestJars.AGENT + "=patches=" + patches + ",max-jar-bytes=" + (size - 1);
        try (ServiceProcess service = new ServiceProcess(agent)) {
            assertEquals(ORIGINAL, service.call(), "the start-up load was refused");
            Cli status = Cli.run("status", service.pid(), "--log");
            assertTrue(status.out().contains("the file has " + size + " bytes")
                    && status.out().contains("max-jar-bytes=" + (size - 1)), status.toString());
            assertTrue(status.out().contains(" limits patch JARs by startup: ok (max-jar-bytes=" + (size - 1)
                    + ", max-entries=10000,"), "the limits set are on record: " + status);

            // the command's own check runs under the defaults; the target's limit refuses it
            Cli load = Cli.run("load", service.pid(), jar);
            assertEquals(1, load.exitCode(), load.toString());
            assertTrue(load.err().contains("INVALID_PATCH") && load.err().contains("max-jar-bytes=" + (size - 1))
                    && load.err().contains("agent option max-jar-bytes"), load.toString());
            assertEquals(ORIGINAL, service.call());
            Cli after = Cli.run("status", service.pid());
            assertEquals(0, after.exitCode(), after.toString());
            assertTrue(after.out().contains("no patches registered"), after.toString());
        }
    }

    @Test
    void theCommandRefusesAnOversizedEntryBeforeTouchingTheTarget() throws Exception {
        Path bomb = dir.resolve("bomb.jar");
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", "bomb");
        m.getMainAttributes().putValue("Livepatch-Class", "agentapp.fix.GreeterFix");
        try (OutputStream out = Files.newOutputStream(bomb); JarOutputStream jos = new JarOutputStream(out, m)) {
            jos.putNextEntry(new JarEntry("zeros.bin"));
            byte[] mib = new byte[1 << 20];
            for (int i = 0; i < 17; i++) {
                jos.write(mib);
            }
            jos.closeEntry();
        }
        try (ServiceProcess service = new ServiceProcess()) {
            Cli load = Cli.run("load", service.pid(), bomb);
            assertEquals(1, load.exitCode(), load.toString());
            assertTrue(load.err().contains("INVALID_PATCH") && load.err().contains("entry 'zeros.bin'")
                    && load.err().contains("max-entry-bytes=16777216"), load.toString());
            assertEquals(ORIGINAL, service.call());
            Cli fixed = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, fixed.exitCode(), fixed.toString());
            assertEquals(GREET_FIXED, service.call(), "jlivepatch still works after the refusal");
        }
    }
}
