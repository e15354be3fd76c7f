package io.jlivepatch.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static io.jlivepatch.agent.ServiceProcess.GREET_FIXED;
import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A service runs for weeks; a clean-up of its temporary directory (systemd-tmpfiles, a cron job's
 * {@code find -mtime +10 -delete}) deletes the control socket, whose file times never change. The
 * next command attaches the agent once more, jlivepatch opens its socket again, and the command
 * goes on: the operator never loses the JVM until a restart (hostile trial).
 */
class ControlSocketLostIT {

    @TempDir
    Path dir;
    @TempDir
    Path tmp;

    private List<Path> sockets() throws IOException {
        try (Stream<Path> files = Files.walk(tmp)) {
            return files.filter(p -> p.getFileName().toString().startsWith("control-")
                    && p.getFileName().toString().endsWith(".sock")).toList();
        }
    }

    @Test
    void aSocketDeletedByACleanUpOrWithItsDirectoryIsOpenedAgainByTheNextCommand() throws Exception {
        try (ServiceProcess service = new ServiceProcess("-Djava.io.tmpdir=" + tmp, "-javaagent:" + TestJars.AGENT)) {
            Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, load.exitCode(), load.toString());
            List<Path> before = sockets();
            assertEquals(1, before.size(), before.toString());

            Files.delete(before.get(0));
            Cli status = Cli.run("status", service.pid());
            assertEquals(0, status.exitCode(), status.toString());
            assertTrue(status.out().contains("1. fix-greet [enabled]"), status.toString());
            List<Path> after = sockets();
            assertEquals(1, after.size(), "the new one only: " + after);
            assertNotEquals(before.get(0), after.get(0));
            assertEquals(GREET_FIXED, service.call());

            // The whole private directory, boot JAR and all.
            Path privateDir = after.get(0).getParent();
            try (Stream<Path> files = Files.list(privateDir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(privateDir);
            Cli unload = Cli.run("unload", service.pid(), "fix-greet");
            assertEquals(0, unload.exitCode(), unload.toString());
            assertEquals(ORIGINAL, service.call());
            assertEquals(1, sockets().size());
            Cli again = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, again.exitCode(), "patches load after it: " + again);
            assertEquals(GREET_FIXED, service.call());
        }
    }

    /**
     * A socket gone between the command's read of its path and its connect (jlivepatch replaced it by a
     * new one at another path, as an agent before 2026-12-07 did after each interrupt of its accepting
     * thread, or a clean-up deleted it): the command asks once more and connects to the
     * socket there is now. Before, it was refused saying the socket was gone and jlivepatch "did not open
     * it again" (seen by hand in one command of five beside an application interrupting every 200 ms).
     */
    @Test
    void aSocketGoneBetweenTheCommandsReadOfItsPathAndItsConnectIsAskedForAgain() throws Exception {
        try (ServiceProcess service = new ServiceProcess("-Djava.io.tmpdir=" + tmp, "-javaagent:" + TestJars.AGENT)) {
            Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, load.exitCode(), load.toString());
            List<Path> before = sockets();
            assertEquals(1, before.size(), before.toString());
            java.lang.reflect.Field hook = Class.forName("io.jlivepatch.agent.cli.TargetJvm")
                    .getDeclaredField("beforeConnectForTests");
            hook.setAccessible(true);
            java.util.concurrent.atomic.AtomicInteger connects = new java.util.concurrent.atomic.AtomicInteger();
            hook.set(null, (java.util.function.Consumer<String>) path -> {
                if (connects.getAndIncrement() == 0) {
                    try {
                        Files.delete(Path.of(path)); // after the read, before the connect
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            });
            Cli status;
            try {
                status = Cli.run("status", service.pid());
            } finally {
                hook.set(null, null);
            }
            assertEquals(0, status.exitCode(), status.toString());
            assertTrue(status.out().contains("1. fix-greet [enabled]"), status.toString());
            assertEquals(2, connects.get(), "one connect more, to the new socket");
            List<Path> after = sockets();
            assertEquals(1, after.size(), "the new one only: " + after);
            assertNotEquals(before.get(0), after.get(0));
        }
    }

    /**
     * A socket file that is there but refuses connections (nothing accepts on it: the socket closed
     * after a failure and its file stayed, or another file took its place) is lost as a deleted one
     * is: the command asks jlivepatch to open it again, once, and connects to the new one.
     */
    @Test
    void aSocketFileThatRefusesConnectionsIsOpenedAgainByTheNextCommand() throws Exception {
        try (ServiceProcess service = new ServiceProcess("-Djava.io.tmpdir=" + tmp, "-javaagent:" + TestJars.AGENT)) {
            Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, load.exitCode(), load.toString());
            Path socket = sockets().get(0);

            // a socket file nothing accepts on, in its place: a connect to it is refused (ECONNREFUSED)
            Files.delete(socket);
            try (java.nio.channels.ServerSocketChannel dead = java.nio.channels.ServerSocketChannel.open(
                    java.net.StandardProtocolFamily.UNIX)) {
                dead.bind(java.net.UnixDomainSocketAddress.of(socket));
            }
            assertTrue(Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS), "the file stays after its close");

            Cli status = Cli.run("status", service.pid());
            assertEquals(0, status.exitCode(), status.toString());
            assertTrue(status.out().contains("1. fix-greet [enabled]"), status.toString());
            assertTrue(sockets().stream().anyMatch(p -> !p.equals(socket)), "a new socket: " + sockets());
            Cli unload = Cli.run("unload", service.pid(), "fix-greet");
            assertEquals(0, unload.exitCode(), "the next command uses it: " + unload);
            assertEquals(ORIGINAL, service.call());
        }
    }

    @Test
    void aJvmThatRefusesAgentsAfterStartUpIsNamedAsWhyTheSocketStaysLost() throws Exception {
        // JDK 21+ with -XX:-EnableDynamicAgentLoading refuses the attach that asks for a new socket;
        // nothing reaches jlivepatch, so its log has nothing: the refusal must be in the command's words.
        assumeTrue(Runtime.version().feature() >= 21, "the flag exists from JDK 21");
        try (ServiceProcess service = new ServiceProcess("-Djava.io.tmpdir=" + tmp, "-XX:-EnableDynamicAgentLoading",
                "-javaagent:" + TestJars.AGENT)) {
            Cli first = Cli.run("status", service.pid());
            assertEquals(0, first.exitCode(), first.toString());
            Path socket = sockets().get(0);
            Files.delete(socket);

            Cli status = Cli.run("status", service.pid());
            assertEquals(1, status.exitCode(), status.toString());
            assertTrue(status.err().contains("the socket is gone and jlivepatch did not open it again (the JVM refused"
                    + " the attach that asks for it: ") && status.err().contains("Dynamic agent loading is not enabled")
                    && status.err().contains("keep its directory out of temporary-file clean-ups"), status.toString());
            assertTrue(!status.err().contains("log says why"), "its log has nothing: " + status);
            assertEquals(ORIGINAL, service.call());

            // In its place, a socket file that refuses connections: refused the same way, saying so.
            try (java.nio.channels.ServerSocketChannel dead = java.nio.channels.ServerSocketChannel.open(
                    java.net.StandardProtocolFamily.UNIX)) {
                dead.bind(java.net.UnixDomainSocketAddress.of(socket));
            }
            Cli refusing = Cli.run("status", service.pid());
            assertEquals(1, refusing.exitCode(), refusing.toString());
            assertTrue(refusing.err().contains("cannot reach jlivepatch in pid " + service.pid() + " through " + socket
                    + " (") && refusing.err().contains("the socket is there but refuses connections and jlivepatch did"
                    + " not open it again (the JVM refused the attach that asks for it: ")
                    && refusing.err().contains("keep its directory out of temporary-file clean-ups"), refusing.toString());
            assertEquals(ORIGINAL, service.call());
        }
    }

    @Test
    void aSocketThatCannotOpenIsReportedAtOnceWithTheTargetsReason() throws Exception {
        // A path too long for a UNIX socket (108 bytes): the target knows why; the command waited out its
        // timeout and guessed (its temporary directory not writable, or out of file descriptors).
        Path longTmp = Files.createDirectories(tmp.resolve("x".repeat(90)));
        try (ServiceProcess service = new ServiceProcess("-Djava.io.tmpdir=" + longTmp, "-javaagent:" + TestJars.AGENT)) {
            Cli status = Cli.run("status", "--timeout", "60", service.pid());
            assertEquals(1, status.exitCode(), status.toString());
            assertTrue(status.err().contains("jlivepatch is loaded in pid " + service.pid() + " but its control socket"
                    + " could not be opened: cannot listen on " + longTmp) && status.err().contains("give the JVM a"
                    + " shorter -Djava.io.tmpdir"), status.toString());
            assertTrue(!status.err().contains("within 60 s"), "not after the timeout: " + status);
            assertEquals(ORIGINAL, service.call());
        }
    }
}
