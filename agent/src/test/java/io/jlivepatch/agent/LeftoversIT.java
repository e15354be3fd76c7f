package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.jlivepatch.agent.ServiceProcess.GREET_FIXED;
import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The boot JAR that jlivepatch writes goes to a directory private to the JVM's user, is removed at
 * exit, and when a JVM dies without exit hooks (kill -9), by the next JVM that starts with the agent.
 */
class LeftoversIT {


    @TempDir
    Path tmp;

    private Path privateDir() {
        String user = System.getProperty("user.name").replaceAll("[^A-Za-z0-9._-]", "_");
        return tmp.resolve("jlivepatch-" + user);
    }

    private String[] agentWithTmp() {
        return new String[] {"-javaagent:" + TestJars.AGENT, "-Djava.io.tmpdir=" + tmp};
    }

    private List<Path> bootJarsOf(long pid) throws IOException {
        try (Stream<Path> s = Files.list(privateDir())) {
            return s.filter(p -> p.getFileName().toString().startsWith("jlivepatch-boot-" + pid + "-"))
                    .collect(Collectors.toList());
        }
    }

    @Test
    void aStaleJarOfAnEndedProcessIsRemovedAtStartAndTheDirectoryIsTheUsersOnly() throws Exception {
        assumeTrue(!System.getProperty("os.name").startsWith("Windows"), "POSIX permissions");
        Files.createDirectory(privateDir(), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Process ended = new ProcessBuilder(TestJars.java(), "-version").redirectErrorStream(true).start();
        ended.getInputStream().readAllBytes();
        assertTrue(ended.waitFor(60, TimeUnit.SECONDS));
        Path stale = Files.write(privateDir().resolve("jlivepatch-boot-" + ended.pid() + "-5eed.jar"), new byte[] {1});

        long pid;
        try (ServiceProcess started = new ServiceProcess(agentWithTmp())) {
            pid = started.pid();
            assertEquals("installed", started.awaitAgent());
            assertFalse(Files.exists(stale), "the boot JAR of the ended process is removed at start-up");
            assertEquals(1, bootJarsOf(pid).size(), "the new JVM's own boot JAR, named by its pid");
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(privateDir())));
            assertEquals(ORIGINAL, started.call());
            Cli status = Cli.run("status", started.pid());
            assertEquals(0, status.exitCode(), status.toString());
            assertTrue(status.out().contains("no patches registered"), status.toString());
        }
        assertTrue(bootJarsOf(pid).isEmpty(), "removed at a normal exit");
    }

    @Test
    void theJarOfAJvmKilledWithSignal9IsRemovedByTheNextJvmToStart() throws Exception {
        ServiceProcess killed = new ServiceProcess(agentWithTmp());
        long killedPid = killed.pid();
        assertEquals("installed", killed.awaitAgent());
        List<Path> left = bootJarsOf(killedPid);
        assertEquals(1, left.size());
        ProcessHandle handle = ProcessHandle.of(killedPid).orElseThrow();
        assertTrue(handle.destroyForcibly(), "SIGKILL sent");
        handle.onExit().get(60, TimeUnit.SECONDS);
        killed.close();
        assertTrue(Files.exists(left.get(0)), "kill -9 runs no exit hook: the file stays, until...");

        try (ServiceProcess next = new ServiceProcess(agentWithTmp())) {
            assertEquals("installed", next.awaitAgent());
            assertFalse(Files.exists(left.get(0)), "...the next JVM with the agent starts");
            assertEquals(1, bootJarsOf(next.pid()).size());
            assertEquals(ORIGINAL, next.call());
            Cli load = Cli.run("load", next.pid(), TestJars.greeterFixJar(tmp));
            assertEquals(0, load.exitCode(), load.toString());
            assertEquals(GREET_FIXED, next.call());
            Cli status = Cli.run("status", next.pid());
            assertTrue(status.out().contains("1. fix-greet [enabled]"), status.toString());
        }
    }

    @Test
    void aDirectoryOthersCanWriteIsRefusedAndTheApplicationRunsWithoutJlivepatch() throws Exception {
        assumeTrue(!System.getProperty("os.name").startsWith("Windows"), "POSIX permissions");
        Files.createDirectory(privateDir());
        Files.setPosixFilePermissions(privateDir(), PosixFilePermissions.fromString("rwxrwxrwx"));
        Path err = tmp.resolve("stderr.txt");
        Process app = new ProcessBuilder(TestJars.java(), "-javaagent:" + TestJars.AGENT, "-Djava.io.tmpdir=" + tmp,
                "-cp", TestJars.appClasses().toString(), "agentapp.ServiceApp")
                .redirectError(err.toFile()).start();
        app.getOutputStream().write("agent\ncall\nquit\n".getBytes(StandardCharsets.UTF_8));
        app.getOutputStream().close();
        String out = new String(app.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(app.waitFor(120, TimeUnit.SECONDS), "the application ends");
        assertEquals("ready\nagent: failed\nresult=" + ORIGINAL + "\n", out.replace("\r", ""));
        String log = Files.readString(err);
        assertTrue(log.contains("jlivepatch could not be installed; the application runs without live patching"), log);
        assertTrue(log.contains(privateDir() + " is writable by other users (rwxrwxrwx): make it private with 'chmod 700"),
                log);
        try (Stream<Path> s = Files.list(privateDir())) {
            assertEquals(0, s.count(), "nothing was written there");
        }
    }
}
