package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static io.jlivepatch.agent.ServiceProcess.GREET_FIXED;
import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JVM with hardly a file descriptor free: jlivepatch does not install, says why, and touches
 * nothing first. On JDK 17 its failure path had been the first code to initialize
 * {@code java.security.Security} (under {@code System.getLogger}); that initializer failed for want of
 * a descriptor and stayed failed, so the application lost MessageDigest, SecureRandom and its logging
 * until a restart (hostile trial). Here the JVM's limit is 30 open files, of which it uses about 7.
 */
class ScarceFileDescriptorsIT {

    @TempDir
    Path dir;

    @Test
    void anAttachIsRefusedBeforeAnythingRunsAndTheApplicationGoesOn() throws Exception {
        try (ServiceProcess service = new ServiceProcess(30, ProcessBuilder.Redirect.DISCARD)) {
            Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(1, load.exitCode(), load.toString());
            assertTrue(load.err().contains("jlivepatch could not be installed in pid " + service.pid() + ": the JVM has ")
                    && load.err().contains(" of 30 file descriptors free; jlivepatch needs about 32 to install: free file"
                    + " descriptors or raise the JVM's limit (ulimit -n), then retry"), load.toString());
            assertEquals(ORIGINAL, service.call());
        }
    }

    @Test
    void atStartUpTheApplicationRunsWithoutItAndStandardErrorSaysWhy() throws Exception {
        try (ServiceProcess service = new ServiceProcess(30, ProcessBuilder.Redirect.PIPE,
                "-javaagent:" + TestJars.AGENT)) {
            assertEquals(ORIGINAL, service.call());
            String line = new java.io.BufferedReader(new java.io.InputStreamReader(service.stderr(),
                    StandardCharsets.UTF_8)).readLine(); // the JVM's own warnings come after it, if any
            assertTrue(line.startsWith("jlivepatch: not installed: the JVM has "), line);
            // With room again (a JVM of the same limit cannot get it back here): the usual start works.
        }
        try (ServiceProcess service = new ServiceProcess("-javaagent:" + TestJars.AGENT)) {
            assertEquals(0, Cli.run("load", service.pid(), TestJars.greeterFixJar(dir)).exitCode());
            assertEquals(GREET_FIXED, service.call());
        }
    }
}
