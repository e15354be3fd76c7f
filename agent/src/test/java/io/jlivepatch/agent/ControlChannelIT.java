package io.jlivepatch.agent;

import com.sun.tools.attach.VirtualMachine;
import io.jlivepatch.control.LivepatchMBean;
import io.jlivepatch.control.ObjectNames;
import io.jlivepatch.control.PatchMBean;
import io.jlivepatch.internal.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.management.JMX;
import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static io.jlivepatch.agent.ServiceProcess.GREET_FIXED;
import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The command's channel: no network port in the target, a socket only the JVM's user can open,
 * the JAR's bytes sent (a path is never resolved in the target), the requester on record, and the
 * exact outcomes of {@code --require-loaded} and {@code status} of a JVM without jlivepatch.
 */
class ControlChannelIT {

    @TempDir
    Path dir;

    private ServiceProcess service;

    @BeforeEach
    void startService() throws Exception {
        service = new ServiceProcess();
    }

    @AfterEach
    void stopService() throws Exception {
        service.close();
    }

    @Test
    void noCommandOpensANetworkPortInTheTarget() throws Exception {
        Set<String> before = listeningTcp(service.pid());
        Path jar = TestJars.greeterFixJar(dir);
        List<Object[]> commands = List.of(new Object[] {"load", service.pid(), jar},
                new Object[] {"status", service.pid()}, new Object[] {"status", service.pid(), "--json", "--log"},
                new Object[] {"disable", service.pid(), "fix-greet"}, new Object[] {"enable", service.pid(), "fix-greet"},
                new Object[] {"unload", service.pid(), "fix-greet"}, new Object[] {"list"});
        for (Object[] command : commands) {
            Cli c = Cli.run(command);
            assertEquals(0, c.exitCode(), c.toString());
            assertEquals(before, listeningTcp(service.pid()), "no listening TCP socket after " + command[0]);
        }
        assertEquals(ORIGINAL, service.call());
        VirtualMachine vm = VirtualMachine.attach(Long.toString(service.pid()));
        try {
            assertNull(vm.getAgentProperties().getProperty("com.sun.management.jmxremote.localConnectorAddress"),
                    "the JDK's JMX connector was never started");
        } finally {
            vm.detach();
        }
    }

    @Test
    void theControlSocketIsInADirectoryOnlyTheJvmsUserCanOpen() throws Exception {
        assertEquals(0, Cli.run("load", "--no-enable", service.pid(), TestJars.greeterFixJar(dir)).exitCode());
        Path socket = Paths.get(targetProperties().getProperty("jlivepatch.control"));
        assertTrue(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), socket.toString());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent(),
                LinkOption.NOFOLLOW_LINKS)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket,
                LinkOption.NOFOLLOW_LINKS)));
        assertEquals(System.getProperty("user.name"), Files.getOwner(socket, LinkOption.NOFOLLOW_LINKS).getName());
    }

    @Test
    void theTargetLoadsTheBytesItWasSentNeverThePathAndRefusesContentThatChangedOnTheWay() throws Exception {
        byte[] content = Files.readAllBytes(TestJars.greeterFixJar(dir));
        String sha256 = Sha256.hex(content);
        VirtualMachine vm = VirtualMachine.attach(Long.toString(service.pid()));
        try {
            vm.loadAgent(TestJars.AGENT.toString());
        } finally {
            vm.detach();
        }
        try (JMXConnector jmx = jmx(service.pid())) {
            MBeanServerConnection c = jmx.getMBeanServerConnection();
            awaitRegistered(c);
            LivepatchMBean lp = JMX.newMXBeanProxy(c, ObjectNames.livepatch(), LivepatchMBean.class);
            String wrong = Sha256.hex(new byte[] {1});
            RuntimeException changed = assertThrows(RuntimeException.class,
                    () -> lp.loadContent(content, wrong, "/nowhere/fix-greet.jar", true, false));
            assertTrue(rootMessage(changed).startsWith("INVALID_PATCH: patch JAR /nowhere/fix-greet.jar: the content"
                    + " received has SHA-256 " + sha256 + ", not the " + wrong), rootMessage(changed));
            assertArrayEquals(new String[0], lp.getPatches(), "nothing was registered");
            assertEquals(ORIGINAL, service.call());

            // A path that exists nowhere: the target loads what it was sent.
            assertEquals("fix-greet", lp.loadContent(content, sha256, "/nowhere/fix-greet.jar", true, false));
            assertEquals(GREET_FIXED, service.call());
            PatchMBean p = JMX.newMXBeanProxy(c, ObjectNames.patch("fix-greet"), PatchMBean.class);
            assertEquals("/nowhere/fix-greet.jar", p.getSource());
            assertEquals(sha256, p.getSha256());
            assertEquals("jmx", p.getLoadedBy());
            assertEquals("", p.getSigner());
        }
    }

    @Test
    void theRequesterOfACommandIsItsPidAndTheUserTheKernelReports() throws Exception {
        Path jar = TestJars.greeterFixJar(dir);
        Cli load = Cli.run("load", service.pid(), jar);
        assertEquals(0, load.exitCode(), load.toString());
        String sha256 = Sha256.hex(Files.readAllBytes(jar));
        assertTrue(load.out().contains("sha256 " + sha256 + ", from " + jar.toAbsolutePath().normalize()),
                load.toString());
        try (JMXConnector jmx = jmx(service.pid())) {
            MBeanServerConnection c = jmx.getMBeanServerConnection();
            awaitRegistered(c);
            PatchMBean p = JMX.newMXBeanProxy(c, ObjectNames.patch("fix-greet"), PatchMBean.class);
            assertEquals("pid " + ProcessHandle.current().pid() + " user " + System.getProperty("user.name"),
                    p.getLoadedBy());
            assertEquals(jar.toAbsolutePath().normalize().toString(), p.getSource());
            assertEquals(sha256, p.getSha256());
        }
    }

    @Test
    void aTargetClassLoadedNowhereIsAWarningOrWithRequireLoadedARefusalThatChangesNothing() throws Exception {
        Path typo = TestJars.patchJar(dir, "fix-typo.jar", Map.of("Livepatch-Name", "fix-typo",
                "Livepatch-Class", "agentapp.fix.TypoFix"), "agentapp.fix.TypoFix");
        Cli strict = Cli.run("load", "--require-loaded", service.pid(), typo);
        assertEquals(1, strict.exitCode(), strict.toString());
        assertTrue(strict.err().contains("TARGET_NOT_FOUND") && strict.err().contains("agentapp.Greeterr is loaded in"
                + " no class loader"), strict.toString());
        Cli status = Cli.run("status", service.pid());
        assertTrue(status.out().contains("no patches registered"), status.toString());

        Cli lenient = Cli.run("load", service.pid(), typo);
        assertEquals(0, lenient.exitCode(), lenient.toString());
        assertTrue(lenient.out().contains("warning: agentapp.Greeterr is loaded in no class loader: patched when"
                + " defined: check the name"), lenient.toString());
        assertEquals(ORIGINAL, service.call());
    }

    @Test
    void unloadWhoseTransitionDoesNotEndExitsThreeLeavingThePatchDisabledAndRegistered() throws Exception {
        Path jar = TestJars.patchJar(dir, "fix-block.jar", Map.of("Livepatch-Name", "fix-block",
                "Livepatch-Class", "agentapp.fix.BlockingHoldFix"), "agentapp.fix.BlockingHoldFix");
        assertEquals(0, Cli.run("load", service.pid(), jar).exitCode());
        service.hold(); // a thread now sits inside the patch's new version of Greeter.hold

        Cli unload = Cli.run("unload", "--wait", "1", service.pid(), "fix-block");
        assertEquals(3, unload.exitCode(), "disabled (a change), transition still running: 3, never 1\n" + unload);
        assertTrue(unload.out().contains("'fix-block': disabled in pid " + service.pid() + ", transition still running"
                + " after 1 s; waiting for:") && unload.out().contains("thread 'holder'")
                && unload.out().contains("'jlivepatch force " + service.pid() + " fix-block' ends it")
                && unload.out().contains("still registered: 'jlivepatch unregister " + service.pid() + " fix-block'"),
                unload.toString());
        Cli status = Cli.run("status", service.pid());
        assertTrue(status.out().contains("1. fix-block [disabled, in transition]"), status.toString());

        Cli disable = Cli.run("disable", service.pid(), "fix-block");
        assertEquals(1, disable.exitCode(), "nothing left to change: refused\n" + disable);

        service.release();
        Cli unregister = Cli.run("unload", service.pid(), "fix-block");
        assertEquals(0, unregister.exitCode(), unregister.toString());
        // disabled already: no transition of its own, only the unregister's time
        assertTrue(unregister.out().matches("'fix-block': unregistered in pid " + service.pid() + ", done in \\d+ ms\n"),
                unregister.toString());
        assertEquals(ORIGINAL, service.call());
    }

    @Test
    void connectionsThatSendNothingGetTheCommandAClearBusyAndMakeRoomOnceIdleTenSeconds() throws Exception {
        assertEquals(0, Cli.run("load", "--no-enable", service.pid(), TestJars.greeterFixJar(dir)).exitCode());
        java.net.UnixDomainSocketAddress socket = java.net.UnixDomainSocketAddress.of(
                targetProperties().getProperty("jlivepatch.control"));
        List<java.nio.channels.SocketChannel> stuck = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 8; i++) { // commands that stopped (^Z) or hang before their first word
                stuck.add(java.nio.channels.SocketChannel.open(socket));
            }
            // The load's own session may have held a place a moment longer (then the 8th was turned
            // away): greet until the target answers BUSY, keeping each connection that got a place.
            for (int i = 0; i < 100; i++) {
                java.nio.channels.SocketChannel probe = java.nio.channels.SocketChannel.open(socket);
                if (turnedAway(probe)) {
                    probe.close();
                    break;
                }
                stuck.add(probe);
            }
            long full = System.nanoTime();
            int busyAnswers = 0;
            // each run takes a JVM's start: stop well before the first connection has waited 10 s
            for (int i = 0; i < 3 && System.nanoTime() - full < 7_000_000_000L; i++) {
                Cli busy = Cli.run("status", service.pid());
                assertEquals(1, busy.exitCode(), busy.toString());
                assertTrue(busy.err().contains("BUSY: 8 jlivepatch commands are talking to this JVM already: retry"),
                        "the target's answer, not the refused greeting's broken pipe: " + busy);
                busyAnswers++;
            }
            assertTrue(busyAnswers > 0, "no status ran within 7 s of the places being full");
            Thread.sleep(Math.max(0, 10_500 - (System.nanoTime() - full) / 1_000_000));
            Cli status = Cli.run("status", service.pid());
            assertEquals(0, status.exitCode(), "a connection idle for 10 s made room: " + status);
            assertTrue(status.out().contains("fix-greet"), status.toString());
        } finally {
            for (java.nio.channels.SocketChannel c : stuck) {
                c.close();
            }
        }
    }

    @Test
    void agentOptionsTheAgentRefusesAreReportedAtOnceNotAsATimeout() throws Exception {
        Path jar = TestJars.greeterFixJar(dir);
        Cli bad = Cli.run("load", "--agent-options", "max-entry-bytes=3g", service.pid(), jar);
        assertEquals(1, bad.exitCode(), bad.toString());
        assertTrue(bad.err().contains("jlivepatch could not be installed in pid " + service.pid()
                + ": its arguments were refused: max-entry-bytes=3221225472 is too large"), bad.toString());
        assertFalse(bad.err().contains("did not answer"), "the reason, not a timeout: " + bad);
        assertEquals(ORIGINAL, service.call());
        Cli status = Cli.run("status", service.pid()); // not loaded, and why: not a bare "not loaded"
        assertEquals(0, status.exitCode(), status.toString());
        assertTrue(status.out().startsWith("pid " + service.pid() + ": jlivepatch not loaded (its installation failed:"
                + " its arguments were refused: max-entry-bytes=3221225472 is too large"), status.toString());
        assertTrue(Cli.run("status", service.pid(), "--json").out().contains(",\"failure\":\"its arguments were"
                + " refused: max-entry-bytes=3221225472 is too large"));
        assertTrue(Cli.run("list").out().lines().anyMatch(l -> l.startsWith(service.pid() + " ")
                && l.contains("not loaded (installation failed)")));
        Cli disable = Cli.run("disable", service.pid(), "fix-greet"); // refused, with why it is not there
        assertEquals(1, disable.exitCode(), disable.toString());
        assertTrue(disable.err().contains("jlivepatch is not loaded in pid " + service.pid() + " (its installation"
                + " failed: its arguments were refused: max-entry-bytes=3221225472 is too large"), disable.toString());
        Cli good = Cli.run("load", service.pid(), jar); // a later attach without them installs it
        assertEquals(0, good.exitCode(), good.toString());
        assertEquals(GREET_FIXED, service.call());
        Cli log = Cli.run("status", service.pid(), "--log"); // the refused attach is on record, from the install on
        assertTrue(log.out().lines().anyMatch(l -> l.contains(" arguments (the agent's arguments) by attach: refused"
                + " INVALID_ARGUMENT: max-entry-bytes=3221225472 is too large")), log.toString());
    }

    @Test
    void aJvmThatDisablesAttachingIsRefusedAtOnceNotAtTheTimeout() throws Exception {
        // Without performance data the attach API cannot tell, and would wait out the timeout.
        try (ServiceProcess closed = new ServiceProcess("-XX:-UsePerfData", "-XX:+DisableAttachMechanism")) {
            Cli status = Cli.run("status", "--timeout", "600", closed.pid());
            assertEquals(1, status.exitCode(), status.toString());
            assertTrue(status.err().contains("runs with -XX:+DisableAttachMechanism: no tool can attach to it"),
                    status.toString());
            assertEquals(ORIGINAL, closed.call());
        }
    }

    @Test
    void aSecurityManagerThatGrantsTheAgentNothingIsNamedAtOnceNotAfterTheTimeout() throws Exception {
        // The agent cannot install, nor write why into a system property: nothing said so, and the command
        // waited its whole timeout for a socket, then blamed the temporary directory (hostile trial).
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() < 24, "no SecurityManager from 24");
        Path policy = java.nio.file.Files.writeString(dir.resolve("app.policy"), "grant codeBase \"file:"
                + TestJars.appClasses() + "/-\" { permission java.security.AllPermission; };\n");
        try (ServiceProcess guarded = new ServiceProcess("-Djava.security.manager", "-Djava.security.policy==" + policy)) {
            Cli load = Cli.run("load", "--timeout", "60", guarded.pid(), TestJars.greeterFixJar(dir));
            assertEquals(1, load.exitCode(), load.toString());
            assertTrue(load.err().contains("jlivepatch could not be installed in pid " + guarded.pid() + ", nor record why:"
                    + " the JVM runs with -Djava.security.manager, and a SecurityManager's policy must grant the agent"
                    + " JAR every permission (grant codeBase \"" + TestJars.AGENT.toUri() + "\" { permission"
                    + " java.security.AllPermission; };), then load again"), load.toString());
            assertFalse(load.err().contains("within 60 s"), "at once: " + load);
            assertEquals(ORIGINAL, guarded.call());
        }
    }

    /**
     * A patch of ThreadPoolExecutor.getTask (where a pool's idle workers sit) can never load: the command
     * refuses it with the target's words and what to do, before it attaches. Before, the agent was loaded
     * into the JVM for good to refuse it there, although README says a bad file does not even load it.
     */
    @Test
    void aPatchOfAClassNoJvmLetsBeHookedDoesNotLoadTheAgent() throws Exception {
        Path jar = TestJars.patchJar(dir, "fix-gettask.jar", Map.of("Livepatch-Name", "fix-gettask",
                "Livepatch-Class", "agentapp.fix.GetTaskFix"), "agentapp.fix.GetTaskFix");
        Cli load = Cli.run("load", service.pid(), jar);
        assertEquals(1, load.exitCode(), load.toString());
        assertEquals("jlivepatch: refused: NOT_PATCHABLE: patch 'fix-gettask': java.util.concurrent.ThreadPoolExecutor"
                + ".getTask()Ljava/lang/Runnable;: classes of java.util.concurrent run the dispatch of every hook, so"
                + " hooking them would recurse: no patch can replace this method; patch the application's (or"
                + " a library's) code that calls it instead", load.err().trim(), load.toString());
        Cli status = Cli.run("status", service.pid());
        assertEquals("pid " + service.pid() + ": jlivepatch not loaded", status.out().trim(), status.toString());
        assertEquals(ORIGINAL, service.call());
    }

    /**
     * A patch whose name the target would refuse is refused by the command, before the agent is loaded: load left
     * the name to the target, so a JVM without jlivepatch got the agent for good only to refuse the JAR there.
     */
    @Test
    void aJarWithABadPatchNameDoesNotLoadTheAgent() throws Exception {
        Path jar = TestJars.patchJar(dir, "bad-name.jar", Map.of("Livepatch-Name", "bad name!",
                "Livepatch-Class", "agentapp.fix.GreeterFix"), "agentapp.fix.GreeterFix");
        Cli load = Cli.run("load", service.pid(), jar);
        assertEquals(1, load.exitCode(), load.toString());
        assertEquals("jlivepatch: refused: INVALID_PATCH: patch JAR " + jar.toAbsolutePath().normalize()
                + ": Livepatch-Name 'bad name!' is not valid: use 1 to 64 characters from [A-Za-z0-9_.-]",
                load.err().trim(), load.toString());
        assertNull(targetProperties().getProperty("jlivepatch.version"), "the agent was loaded for a refused JAR");
        assertEquals(ORIGINAL, service.call());
    }

    @Test
    void statusOfAJvmWithoutJlivepatchSaysSoAndLoadsNothing() throws Exception {
        Cli status = Cli.run("status", service.pid());
        assertEquals(0, status.exitCode(), status.toString());
        assertEquals("pid " + service.pid() + ": jlivepatch not loaded", status.out().trim());
        Cli json = Cli.run("status", service.pid(), "--json");
        assertEquals(0, json.exitCode(), json.toString());
        assertTrue(json.out().contains("\"jlivepatch\":\"not loaded\""), json.toString());
        assertNull(targetProperties().getProperty("jlivepatch.version"), "status did not load the agent");
        Cli disable = Cli.run("disable", service.pid(), "fix-greet");
        assertEquals(1, disable.exitCode(), disable.toString());
        assertTrue(disable.err().contains("jlivepatch is not loaded in pid " + service.pid()), disable.toString());
    }

    /** Greets the target as the command does: whether it answered BUSY (every place taken). */
    private static boolean turnedAway(java.nio.channels.SocketChannel c) throws IOException {
        java.io.DataOutputStream out = new java.io.DataOutputStream(java.nio.channels.Channels.newOutputStream(c));
        java.io.DataInputStream in = new java.io.DataInputStream(java.nio.channels.Channels.newInputStream(c));
        try {
            out.writeInt(io.jlivepatch.internal.control.Wire.MAGIC);
            out.writeLong(ProcessHandle.current().pid());
            out.flush();
        } catch (IOException refusedBeforeReading) {
            // the BUSY answer is still there to read
        }
        in.readInt();
        return io.jlivepatch.internal.control.Wire.readString(in).isEmpty();
    }

    private Properties targetProperties() throws Exception {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(service.pid()));
        try {
            return vm.getSystemProperties();
        } finally {
            vm.detach();
        }
    }

    /** The local addresses of the TCP sockets {@code pid} listens on, read from /proc. */
    static Set<String> listeningTcp(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (var fds = Files.list(Paths.get("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    String link = Files.readSymbolicLink(fd).toString();
                    if (link.startsWith("socket:[")) {
                        inodes.add(link.substring("socket:[".length(), link.length() - 1));
                    }
                } catch (IOException closedMeanwhile) {
                    // the descriptor was closed while listing
                }
            }
        }
        Set<String> listening = new HashSet<>();
        for (String table : new String[] {"tcp", "tcp6"}) {
            Path p = Paths.get("/proc", Long.toString(pid), "net", table);
            if (!Files.exists(p)) {
                continue;
            }
            for (String line : Files.readAllLines(p).subList(1, Files.readAllLines(p).size())) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[3].equals("0A") && inodes.contains(f[9])) { // 0A: LISTEN
                    listening.add(table + " " + f[1]);
                }
            }
        }
        return listening;
    }

    /** A JMX client of the test's own (it starts the JDK's connector in the target: the command never does). */
    private static JMXConnector jmx(long pid) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
        try {
            return JMXConnectorFactory.connect(new JMXServiceURL(vm.startLocalManagementAgent()));
        } finally {
            vm.detach();
        }
    }

    private static void awaitRegistered(MBeanServerConnection c) throws Exception {
        for (int i = 0; i < 3000 && !c.isRegistered(ObjectNames.livepatch()); i++) {
            Thread.sleep(10);
        }
        assertTrue(c.isRegistered(ObjectNames.livepatch()), "the MBeans appear once the JVM has an MBean server");
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }
}
