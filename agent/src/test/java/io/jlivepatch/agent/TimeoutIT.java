package io.jlivepatch.agent;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.jlivepatch.agent.ServiceProcess.GREET_FIXED;
import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Every command that talks to a target is bounded by --timeout: against a JVM that is stopped
 * ({@code kill -STOP}), each one ends with exit 1 and says so, and the JVM works again once continued;
 * one whose change had reached the JVM exits 4 (unknown outcome) instead.
 */
class TimeoutIT {


    @TempDir
    Path dir;

    private ServiceProcess service;
    private boolean stopped;

    @BeforeEach
    void startService() throws Exception {
        assumeTrue(!System.getProperty("os.name").startsWith("Windows"), "kill -STOP is POSIX");
        service = new ServiceProcess();
    }

    @AfterEach
    void stopService() throws Exception {
        if (stopped) {
            signal("CONT");
        }
        if (service != null) {
            service.close();
        }
    }

    @Test
    void everyCommandEndsWithARefusalAgainstAStoppedJvmWhichWorksOnceContinued() throws Exception {
        // The agent loaded and the attach listener started, as after any earlier command: attaching
        // to the stopped JVM then succeeds and the first request goes unanswered.
        Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
        assertEquals(0, load.exitCode(), load.toString());
        Path shout = TestJars.shoutFixJar(dir);

        signal("STOP");
        List<List<Object>> commands = List.of(List.of("status", service.pid()), List.of("status", service.pid(), "--json"),
                List.of("load", service.pid(), shout), List.of("enable", service.pid(), "fix-greet"),
                List.of("disable", service.pid(), "fix-greet"), List.of("unregister", service.pid(), "fix-greet"),
                List.of("unload", service.pid(), "fix-greet"), List.of("force", service.pid(), "fix-greet"));
        for (List<Object> command : commands) {
            CliProcess c = CliProcess.run(concat(command, "--timeout", 2));
            assertEquals(1, c.exitCode(), command + ": " + c);
            assertTrue(c.err().startsWith("jlivepatch: refused: pid " + service.pid() + " did not answer within 2 s (while ")
                    && c.err().contains("); the JVM may be stopped or overloaded; retry with a larger --timeout"),
                    command + ": " + c);
        }
        CliProcess list = CliProcess.run("list", "--timeout", 2);
        assertEquals(0, list.exitCode(), list.toString());
        assertTrue(lineOf(list.out(), service.pid()).contains("unknown (no answer)"), list.toString());

        signal("CONT");
        assertEquals(GREET_FIXED, service.call(), "the application works again, its patch as it was");
        Cli status = Cli.run("status", service.pid());
        assertEquals(0, status.exitCode(), status.toString());
        assertTrue(status.out().contains("1 patch") && status.out().contains("1. fix-greet [enabled]"), status.toString());
        Cli unload = Cli.run("unload", service.pid(), "fix-greet");
        assertEquals(0, unload.exitCode(), unload.toString());
        assertEquals(ORIGINAL, service.call());
    }

    /**
     * The first attach to a JVM creates .attach_pid<pid> in its working directory before signalling it,
     * and the attach API deletes it when its wait ends; a command that gave up at its --timeout exited
     * first, and the file stayed for good, unsaid. The JVM, stopped, still has the signal to handle, and
     * finding no file would print a thread dump into the application's output: the file is kept and
     * named, with when it may go (by 'list' too, on standard error); the JVM, continued, finds it and
     * starts its listener (no thread dump: the service's answers go on), and the next command that
     * reaches the JVM deletes it.
     */
    @Test
    void aFirstAttachThatTimesOutNamesTheFileItLeavesAndTheNextCommandDeletesIt() throws Exception {
        Path trigger = Path.of("/proc", Long.toString(service.pid()), "cwd").toRealPath()
                .resolve(".attach_pid" + service.pid());
        assumeTrue(!Files.exists(Path.of("/tmp/.java_pid" + service.pid())), "no attach listener yet");
        Files.deleteIfExists(trigger);
        try {
            signal("STOP");
            CliProcess list = CliProcess.run("list", "--timeout", 1);
            assertEquals(0, list.exitCode(), list.toString());
            assertTrue(lineOf(list.out(), service.pid()).contains("unknown (no answer)"), list.toString());
            assertTrue(list.err().contains("jlivepatch: warning: pid " + service.pid() + " did not answer; the attach left "
                    + trigger + ", which the JVM looks for when it answers the attach's signal: "), list.toString());
            assertTrue(Files.exists(trigger), "kept while the JVM has the signal to handle");
            CliProcess c = CliProcess.run("status", service.pid(), "--timeout", 1);
            assertEquals(1, c.exitCode(), c.toString());
            assertTrue(c.err().startsWith("jlivepatch: refused: pid " + service.pid() + " did not answer within 1 s (while"
                    + " attaching); the JVM may be stopped or overloaded; retry with a larger --timeout; the attach left "
                    + trigger + ", which the JVM looks for when it answers the attach's signal: the next command that"
                    + " reaches the JVM deletes it, or delete it yourself once the JVM answers again (/tmp/.java_pid"
                    + service.pid() + " exists), not before"), c.toString());
            assertTrue(Files.exists(trigger), "kept while the JVM has the signal to handle");

            signal("CONT");
            assertEquals(ORIGINAL, service.call(), "no thread dump in the application's output");
            Cli status = Cli.run("status", service.pid());
            assertEquals(0, status.exitCode(), status.toString());
            assertTrue(!Files.exists(trigger), "the next command deleted it");
            assertEquals(ORIGINAL, service.call());
        } finally {
            Files.deleteIfExists(trigger);
        }
    }

    /**
     * A change that reached the JVM but was not answered in time is not a refusal: the command
     * exits 4 and says to look first, and the change does take effect once the JVM answers.
     */
    @Test
    void aChangeThatReachedTheJvmButWasNotAnsweredInTimeExitsUnknownNotRefused() throws Exception {
        Path gate = agentapp.fix.SlowPrepareFix.gate(service.pid());
        Files.deleteIfExists(gate);
        try {
            // the agent loaded first: the 2 s below bound the load's call only, not the attach
            Cli first = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, first.exitCode(), first.toString());
            Path slow = TestJars.patchJar(dir, "slow-prepare.jar", Map.of("Livepatch-Name", "slow-prepare",
                    "Livepatch-Class", "agentapp.fix.SlowPrepareFix"), "agentapp.fix.SlowPrepareFix");
            CliProcess load = CliProcess.run("load", service.pid(), slow, "--timeout", 2);
            assertEquals(4, load.exitCode(), load.toString());
            assertTrue(load.err().startsWith("jlivepatch: unknown outcome: pid " + service.pid()
                    + " did not answer within 2 s (while calling loadContent)")
                    && load.err().contains("the load had reached it, so it may have taken effect, or may still: run"
                    + " 'jlivepatch status " + service.pid() + "' before anything else"), load.toString());
            Files.createFile(gate);
            Cli status = Cli.run("status", service.pid());
            for (int i = 0; i < 600 && !status.out().contains("slow-prepare [enabled]"); i++) {
                Thread.sleep(100); // the load runs on once its prePatch returns
                status = Cli.run("status", service.pid());
            }
            assertTrue(status.out().contains("slow-prepare [enabled]"), "the load took effect: " + status);
            assertEquals(GREET_FIXED, service.call());
        } finally {
            Files.deleteIfExists(gate);
        }
    }

    @Test
    void aTimeoutOrWaitOutsideItsRangeIsAUsageError() {
        for (String bad : new String[] {"0", "-5", "86401"}) {
            Cli c = Cli.run("status", service.pid(), "--timeout", bad);
            assertEquals(2, c.exitCode(), c.toString());
            assertTrue(c.err().contains("--timeout must be between 1 and 86400 seconds, not " + bad), c.toString());
        }
        Cli wait = Cli.run("enable", service.pid(), "fix-greet", "--wait", "-1");
        assertEquals(2, wait.exitCode(), wait.toString());
        assertTrue(wait.err().contains("--wait must be between 0 and 86400 seconds, not -1"), wait.toString());
        Cli c = Cli.run("disable", service.pid(), "fix-greet", "--timeout", "5");
        assertEquals(1, c.exitCode(), c.toString());
        assertTrue(c.err().contains("jlivepatch is not loaded in pid"), "a valid timeout, and the usual refusal: " + c);
    }

    private void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(service.pid())).inheritIO().start();
        assertTrue(kill.waitFor(60, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + name);
        stopped = name.equals("STOP");
    }

    private static Object[] concat(List<Object> command, Object... more) {
        Object[] all = new Object[command.size() + more.length];
        for (int i = 0; i < command.size(); i++) {
            all[i] = command.get(i);
        }
        System.arraycopy(more, 0, all, command.size(), more.length);
        return all;
    }

    private static String lineOf(String out, long pid) {
        for (String line : out.split("\n")) {
            if (line.startsWith(pid + " ")) {
                return line;
            }
        }
        return "";
    }
}
