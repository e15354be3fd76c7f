package io.jlivepatch.agent;

import com.sun.tools.attach.VirtualMachine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.management.Attribute;
import javax.management.InvalidAttributeValueException;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.jlivepatch.agent.ServiceProcess.GREET_FIXED;
import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The jlivepatch command against a running JVM, the way an operator uses it. */
class CommandLineIT {


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
    void enableOfAPatchWhoseFunctionFailedSaysSoInsteadOfOnlyComplete() throws Exception {
        Path jar = TestJars.patchJar(dir, "fix-broken-init.jar", Map.of("Livepatch-Name", "fix-broken-init",
                "Livepatch-Class", "agentapp.fix.BrokenInitFix"), "agentapp.fix.BrokenInitFix");
        Cli load = Cli.run("load", service.pid(), jar);
        assertEquals(0, load.exitCode(), load.toString());
        assertEquals(ORIGINAL, service.call(), "the initializer threw: the method runs its own code");
        assertEquals(0, Cli.run("disable", service.pid(), "fix-broken-init").exitCode());
        Cli enable = Cli.run("enable", service.pid(), "fix-broken-init");
        assertEquals(5, enable.exitCode(), "enabled, but a function FAILED: " + enable);
        // "enabled, patching complete" alone read as if the fix ran
        assertTrue(enable.out().contains("agentapp.Greeter.greet(Ljava/lang/String;)Ljava/lang/String; [")
                && enable.out().contains("]: failed (the patch class agentapp.fix.BrokenInitFix failed to initialize"),
                enable.toString());
        assertTrue(enable.out().contains("warning: 1 of 1 function(s) (per class loader) FAILED: there the method"
                + " runs the version below this patch, or its own code"), enable.toString());
        assertEquals(ORIGINAL, service.call());
        try (JMXConnector c = jmx(service.pid())) {
            MBeanServerConnection mbs = c.getMBeanServerConnection();
            ObjectName patch = new ObjectName("io.jlivepatch:type=Patch,name=fix-broken-init");
            // Registered from a thread of jlivepatch's once the connector made the server: wait for it
            // (a hang detector, not a timing).
            for (int i = 0; i < 3000 && !mbs.isRegistered(patch); i++) {
                Thread.sleep(10);
            }
            // What monitoring reads (jlivepatch_patch_failed_functions): the line the command exited 5 on.
            assertEquals(1, mbs.getAttribute(patch, "FailedFunctions"));
        }
        assertEquals(0, Cli.run("unload", service.pid(), "fix-broken-init").exitCode());
    }

    @Test
    void aChangeWhoseCallbackFailedSaysSoAlsoWhenUnloadLeavesNoStatusToShowIt() throws Exception {
        Path jar = TestJars.patchJar(dir, "fix-callbacks.jar", Map.of("Livepatch-Name", "fix-callbacks",
                "Livepatch-Class", "agentapp.fix.FailingCallbacksFix"), "agentapp.fix.FailingCallbacksFix");
        String postPatch = "  warning: a callback of the patch failed: postPatch of agentapp.Greeter in class loader ";
        String postUnpatch = "  warning: a callback of the patch failed: postUnpatch of agentapp.Greeter in class loader ";
        Cli load = Cli.run("load", service.pid(), jar);
        assertEquals(0, load.exitCode(), "the change was made: " + load);
        assertTrue(load.out().contains(postPatch) && load.out().contains(" threw java.lang.IllegalStateException:"
                + " no warm-up (it could not stop the change, which was made; what it was to do may not have been"
                + " done: the target's log has its stack trace)\n"), load.toString());
        Cli disable = Cli.run("disable", service.pid(), "fix-callbacks");
        assertEquals(0, disable.exitCode(), disable.toString());
        assertTrue(disable.out().contains(postUnpatch) && disable.out().contains("no flush"), disable.toString());
        Cli enable = Cli.run("enable", service.pid(), "fix-callbacks");
        assertTrue(enable.out().contains(postPatch), "the same failure again is this change's too: " + enable);
        // Before, only status showed the failure, and unload unregisters the patch: nothing said it at all.
        Cli unload = Cli.run("unload", service.pid(), "fix-callbacks");
        assertEquals(0, unload.exitCode(), unload.toString());
        assertTrue(unload.out().contains(postUnpatch) && unload.out().contains("no flush")
                && !unload.out().contains("postPatch of"), unload.toString());
        assertEquals(ORIGINAL, service.call());

        // A forced transition runs its closing callback in the force.
        Path held = TestJars.patchJar(dir, "fix-callbacks-held.jar", Map.of("Livepatch-Name", "fix-callbacks",
                "Livepatch-Class", "agentapp.fix.FailingCallbacksFix", "Livepatch-Hold",
                "agentapp.Greeter.hold(Ljava/util/concurrent/CountDownLatch;)Ljava/lang/String;"),
                "agentapp.fix.FailingCallbacksFix");
        service.hold(); // a thread inside the held method: the load's transition cannot end
        Cli waiting = Cli.run("load", "--wait", "1", service.pid(), held);
        assertEquals(3, waiting.exitCode(), waiting.toString());
        assertFalse(waiting.out().contains("warning: a callback"), "its postPatch has not run: " + waiting);
        Cli force = Cli.run("force", service.pid(), "fix-callbacks");
        assertEquals(0, force.exitCode(), force.toString());
        assertTrue(force.out().contains(postPatch) && force.out().contains("no warm-up"), force.toString());
    }

    @Test
    void loadStatusDisableEnableUnloadAJarIntoARunningJvm() throws Exception {
        assertEquals(ORIGINAL, service.call());
        Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
        assertEquals(0, load.exitCode(), load.toString());
        assertTrue(load.out().contains("'fix-greet': enabled in pid " + service.pid() + ", patching complete"), load.toString());
        assertTrue(load.out().contains("agentapp.Greeter.greet(Ljava/lang/String;)Ljava/lang/String;"), load.toString());
        assertEquals(GREET_FIXED, service.call());

        Cli status = Cli.run("status", service.pid());
        assertEquals(0, status.exitCode(), status.toString());
        assertTrue(status.out().contains("1. fix-greet [enabled]"), status.toString());
        assertTrue(status.out().contains("greet trims its input"), status.toString());
        assertTrue(status.out().contains(": patched"), status.toString());

        Cli json = Cli.run("status", service.pid(), "--json");
        assertTrue(json.out().contains("\"name\":\"fix-greet\"") && json.out().contains("\"enabled\":true")
                && json.out().contains("\"state\":\"PATCHED\""), json.toString());

        // Each change says how long it took, as load does, in the kernel's words for the transition's end.
        Cli disable = Cli.run("disable", service.pid(), "fix-greet");
        assertEquals(0, disable.exitCode(), disable.toString());
        assertTrue(disable.out().matches("'fix-greet': disabled in pid " + service.pid() + ", unpatching complete in"
                + " \\d+ ms\n"), disable.toString());
        assertEquals(ORIGINAL, service.call());
        Cli enable = Cli.run("enable", service.pid(), "fix-greet");
        assertEquals(0, enable.exitCode(), enable.toString());
        assertTrue(enable.out().matches("'fix-greet': enabled in pid " + service.pid() + ", patching complete in"
                + " \\d+ ms\n"), enable.toString());
        assertEquals(GREET_FIXED, service.call());

        Cli unload = Cli.run("unload", service.pid(), "fix-greet");
        assertEquals(0, unload.exitCode(), unload.toString());
        // the time of the disable's transition and the unregister
        assertTrue(unload.out().matches("'fix-greet': disabled and unregistered in pid " + service.pid() + ","
                + " unpatching complete in \\d+ ms\n"), unload.toString());
        assertEquals(ORIGINAL, service.call());
        assertTrue(Cli.run("status", service.pid()).out().contains("no patches registered"));

        Cli log = Cli.run("status", service.pid(), "--log");
        assertTrue(log.out().matches("(?s).*register fix-greet by [^:]*: ok.*")
                && log.out().matches("(?s).* enable fix-greet by [^:]*: ok.*")
                && log.out().matches("(?s).* disable fix-greet by [^:]*: ok.*")
                && log.out().matches("(?s).* unregister fix-greet by [^:]*: ok.*"),
                log.toString());
    }

    /**
     * A replacement that calls the method it replaces runs itself again (a StackOverflowError at every
     * call) where its author meant the original: load warns, names both and points to @Next, and
     * loads it all the same (a recursive method's replacement may mean it).
     */
    @Test
    void loadWarnsOfAReplacementThatCallsTheMethodItReplaces() throws Exception {
        Path jar = TestJars.patchJar(dir, "fix-self.jar", Map.of("Livepatch-Name", "fix-self",
                "Livepatch-Class", "agentapp.fix.SelfCallingFix"), "agentapp.fix.SelfCallingFix");
        Cli load = Cli.run("load", "--no-enable", service.pid(), jar);
        assertEquals(0, load.exitCode(), "a warning, not a refusal: " + load);
        assertTrue(load.out().contains("\n  warning: agentapp.fix.SelfCallingFix.greet calls agentapp.Greeter.greet,"
                + " the method it replaces: that call runs the replacement again, not the original (a"
                + " StackOverflowError, unless it recurses on purpose); to call the original, give it a last parameter"
                + " '@Next MethodHandle next' and invoke that\n"), load.toString());
        assertTrue(Cli.run("status", service.pid()).out().contains("1. fix-self [disabled]"));
        // inspect says it before anyone loads the JAR, in its text and its JSON
        Cli inspect = Cli.run("inspect", jar);
        assertEquals(0, inspect.exitCode(), inspect.toString());
        assertTrue(inspect.out().contains("\n  warning: agentapp.fix.SelfCallingFix.greet calls agentapp.Greeter.greet,"
                + " the method it replaces: "), inspect.toString());
        Cli inspectJson = Cli.run("inspect", "--json", jar);
        assertTrue(inspectJson.out().contains("\"warnings\":[\"agentapp.fix.SelfCallingFix.greet calls"
                + " agentapp.Greeter.greet, the method it replaces: "), inspectJson.toString());
        assertTrue(Cli.run("inspect", "--json", TestJars.greeterFixJar(dir)).out().contains("\"warnings\":[]"));

        Cli other = Cli.run("load", "--no-enable", service.pid(), TestJars.greeterFixJar(dir));
        assertEquals(0, other.exitCode(), other.toString());
        assertFalse(other.out().contains("the method it replaces"), "calls other methods only: " + other);
    }

    @Test
    void loadWithNoEnableOnlyRegisters() throws Exception {
        Cli load = Cli.run("load", "--no-enable", service.pid(), TestJars.greeterFixJar(dir));
        assertEquals(0, load.exitCode(), load.toString());
        assertTrue(load.out().contains("registered in pid"), load.toString());
        assertEquals(ORIGINAL, service.call());
        assertTrue(Cli.run("status", service.pid()).out().contains("1. fix-greet [disabled]"));
    }

    @Test
    void listShowsTheServiceAndWhetherJlivepatchIsLoaded() throws Exception {
        Cli before = Cli.run("list");
        assertEquals(0, before.exitCode(), before.toString());
        assertTrue(lineOf(before.out(), service.pid()).contains("not loaded"), before.toString());
        Cli load = Cli.run("load", "--no-enable", service.pid(), TestJars.greeterFixJar(dir));
        assertEquals(0, load.exitCode(), load.toString());
        Cli after = Cli.run("list");
        assertTrue(lineOf(after.out(), service.pid()).contains("loaded"), after.toString());
        assertFalse(lineOf(after.out(), service.pid()).contains("not loaded"), after.toString());
        assertTrue(lineOf(after.out(), service.pid()).contains("agentapp.ServiceApp"), after.toString());
    }

    @Test
    void aFileThatIsNotAJarIsRefusedBeforeTouchingTheTarget() throws Exception {
        Path notJar = Files.writeString(dir.resolve("fix.jar"), "this is not a jar");
        Cli load = Cli.run("load", service.pid(), notJar);
        assertEquals(1, load.exitCode(), load.toString());
        assertTrue(load.err().contains("INVALID_PATCH") && load.err().contains("not a"), load.toString());
        assertTrue(lineOf(Cli.run("list").out(), service.pid()).contains("not loaded"), "the agent was not loaded");
        assertEquals(ORIGINAL, service.call());
    }

    @Test
    void aFileThatIsNotAJarIsRefusedOnRecordWhereJlivepatchRunsAndChangesNothing() throws Exception {
        // Every attempt leaves a trace in the target's audit log, also one the command could refuse itself.
        assertEquals(0, Cli.run("load", service.pid(), TestJars.greeterFixJar(dir)).exitCode());
        Path notJar = Files.writeString(dir.resolve("garbage.jar"), "this is not a jar");
        Cli load = Cli.run("load", service.pid(), notJar);
        assertEquals(1, load.exitCode(), load.toString());
        assertTrue(load.err().contains("INVALID_PATCH") && load.err().contains("not a"), load.toString());
        String log = Cli.run("status", service.pid(), "--log").out();
        assertTrue(log.lines().anyMatch(l -> l.contains(" load " + notJar + " by ")
                && l.contains(": refused INVALID_PATCH: patch JAR " + notJar + ": not a JAR file")),
                log);
        Cli status = Cli.run("status", service.pid());
        assertTrue(status.out().contains("1 patch") && status.out().contains("1. fix-greet [enabled]"), status.toString());
        assertEquals(GREET_FIXED, service.call());
    }

    @Test
    void aFileRefusedHereIsNotSentToAnotherBuildOfJlivepatch() throws Exception {
        // Another build may judge the file otherwise (an older one may take what this one refuses): the
        // command's own refusal stands and the bytes stay here. A file it accepts is sent as to any build.
        try (ServiceProcess other = ServiceProcess.running("agentapp.OtherBuildApp", "-javaagent:" + TestJars.AGENT)) {
            Path notJar = Files.writeString(dir.resolve("garbage.jar"), "this is not a jar");
            Cli load = Cli.run("load", other.pid(), notJar);
            assertEquals(1, load.exitCode(), load.toString());
            assertTrue(load.err().contains("INVALID_PATCH") && load.err().contains("not a JAR file"), load.toString());

            Cli good = Cli.run("load", other.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, good.exitCode(), good.toString());
            assertEquals(GREET_FIXED, other.call());
            String log = Cli.run("status", other.pid(), "--log").out();
            assertTrue(log.lines().anyMatch(l -> l.contains(" load fix-greet by ") && l.contains(": ok (registered, enabled)")), log);
            assertFalse(log.contains(notJar.toString()), "the refused file never reached the target: " + log);
            assertTrue(lineOf(Cli.run("list").out(), other.pid()).contains(agentapp.OtherBuildApp.VERSION),
                    "the target shows the other build");
        }
    }

    @Test
    void aJarWithoutTheManifestAttributesIsRefused() throws Exception {
        Path jar = TestJars.patchJar(dir, "bare.jar", Map.of(), "agentapp.fix.GreeterFix");
        Cli load = Cli.run("load", service.pid(), jar);
        assertEquals(1, load.exitCode(), load.toString());
        assertTrue(load.err().contains("MANIFEST") || load.err().contains("Livepatch-Name"), load.toString());
        Path noName = TestJars.patchJar(dir, "noname.jar", Map.of("Livepatch-Class", "agentapp.fix.GreeterFix"),
                "agentapp.fix.GreeterFix");
        Cli load2 = Cli.run("load", service.pid(), noName);
        assertEquals(1, load2.exitCode(), load2.toString());
        assertTrue(load2.err().contains("lacks Livepatch-Name"), load2.toString());
        assertEquals(ORIGINAL, service.call());
    }

    @Test
    void aMissingOrWronglyShapedLivepatchClassIsRefusedAndChangesNothing() throws Exception {
        assertEquals(0, Cli.run("load", service.pid(), TestJars.shoutFixJar(dir)).exitCode());
        String patched = service.call();
        Path missing = TestJars.patchJar(dir, "missing.jar", Map.of("Livepatch-Name", "missing",
                "Livepatch-Class", "agentapp.fix.Nowhere"), "agentapp.fix.GreeterFix");
        Cli load = Cli.run("load", service.pid(), missing);
        assertEquals(1, load.exitCode(), load.toString());
        assertTrue(load.err().contains("agentapp.fix.Nowhere"), load.toString());

        Path badShape = TestJars.patchJar(dir, "bad.jar", Map.of("Livepatch-Name", "bad-shape",
                "Livepatch-Class", "agentapp.fix.BadShapeFix"), "agentapp.fix.BadShapeFix");
        Cli load2 = Cli.run("load", service.pid(), badShape);
        assertEquals(1, load2.exitCode(), load2.toString());
        assertTrue(load2.err().contains("SIGNATURE_MISMATCH") && load2.err().contains("not public static"), load2.toString());

        Cli status = Cli.run("status", service.pid());
        assertTrue(status.out().contains("1 patch") && status.out().contains("1. fix-shout [enabled]"), status.toString());
        assertEquals(patched, service.call());
        assertTrue(Cli.run("status", service.pid(), "--log").out().contains("load"), "refusals are in the audit log");
    }

    @Test
    void aPidThatDoesNotExistOrIsNotAJvmIsRefused() throws Exception {
        Cli none = Cli.run("status", Long.MAX_VALUE);
        assertEquals(1, none.exitCode(), none.toString());
        assertTrue(none.err().contains("no process with pid"), none.toString());
        Process sleep = new ProcessBuilder("sleep", "30").start();
        try {
            Cli notJvm = Cli.run("load", sleep.pid(), TestJars.greeterFixJar(dir));
            assertEquals(1, notJvm.exitCode(), notJvm.toString());
            assertTrue(notJvm.err().contains("pid " + sleep.pid() + " (sleep 30) is not a JVM"), notJvm.toString());
            // checked before the attach API, which would signal it (SIGQUIT ends a process that is not a JVM)
            assertTrue(sleep.isAlive(), "the process that is not a JVM was not signalled");
        } finally {
            sleep.destroyForcibly();
        }
        Cli usage = Cli.run("status", "not-a-pid");
        assertEquals(2, usage.exitCode(), usage.toString());
    }

    @Test
    void aNameThatIsNotRegisteredIsRefused() throws Exception {
        assertEquals(0, Cli.run("load", service.pid(), TestJars.greeterFixJar(dir)).exitCode());
        for (String command : new String[] {"enable", "disable", "unregister", "unload"}) {
            Cli c = Cli.run(command, service.pid(), "no-such-patch");
            assertEquals(1, c.exitCode(), c.toString());
            assertTrue(c.err().contains("no patch 'no-such-patch' is registered") && c.err().contains("fix-greet"),
                    c.toString());
        }
        assertEquals(GREET_FIXED, service.call());
    }

    @Test
    void outOfOrderDisableIsRefusedThroughTheCommandAndThroughJmx() throws Exception {
        assertEquals(0, Cli.run("load", service.pid(), TestJars.greeterFixJar(dir)).exitCode());
        assertEquals(0, Cli.run("load", service.pid(), TestJars.shoutFixJar(dir)).exitCode());
        String both = service.call();
        assertEquals("fixed x|y!!!", both);

        Cli disable = Cli.run("disable", service.pid(), "fix-greet");
        assertEquals(1, disable.exitCode(), disable.toString());
        assertTrue(disable.err().contains("ORDER_VIOLATION") && disable.err().contains("disable 'fix-shout' first"),
                disable.toString());
        Cli unload = Cli.run("unload", service.pid(), "fix-greet");
        assertEquals(1, unload.exitCode(), unload.toString());
        // an operator unloading is told to unload (or disable) the patch above first, and how; before,
        // "disable 'fix-shout' first", a disable's advice
        assertTrue(unload.err().contains("ORDER_VIOLATION: cannot unload patch 'fix-greet' while 'fix-shout', enabled"
                + " after it, is still enabled: patches come off in reverse order, the top first: unload it first"
                + " ('jlivepatch unload " + service.pid() + " fix-shout'), or disable it to keep it registered"
                + " ('jlivepatch disable " + service.pid() + " fix-shout'), then unload 'fix-greet' again; nothing was"
                + " changed"), unload.toString());
        assertEquals(both, service.call());

        try (JMXConnector c = jmx(service.pid())) {
            MBeanServerConnection mbs = c.getMBeanServerConnection();
            ObjectName greet = new ObjectName("io.jlivepatch:type=Patch,name=fix-greet");
            Exception e = assertThrows(Exception.class, () -> mbs.setAttribute(greet, new Attribute("Enabled", false)));
            assertTrue(String.valueOf(rootMessage(e)).startsWith("ORDER_VIOLATION"), String.valueOf(rootMessage(e)));
            assertEquals(true, mbs.getAttribute(greet, "Enabled"));
            assertEquals(1, mbs.getAttribute(greet, "StackOrder"));
            assertEquals(2, mbs.getAttribute(new ObjectName("io.jlivepatch:type=Patch,name=fix-shout"), "StackOrder"));

            InvalidAttributeValueException bad = assertThrows(InvalidAttributeValueException.class,
                    () -> mbs.setAttribute(greet, new Attribute("Enabled", "yes")));
            assertTrue(bad.getMessage().contains("Enabled takes true or false"), bad.getMessage());
            assertEquals(true, mbs.getAttribute(greet, "Enabled"));

            ObjectName shout = new ObjectName("io.jlivepatch:type=Patch,name=fix-shout");
            mbs.setAttribute(shout, new Attribute("Enabled", false));
            assertEquals(GREET_FIXED, service.call());
            mbs.invoke(shout, "unregister", null, null);
            assertFalse(mbs.isRegistered(shout));
        }
        assertEquals(GREET_FIXED, service.call());
    }

    @Test
    void patchesDirectoryIsLoadedAtStartUpAndABadJarIsSkipped() throws Exception {
        Path patches = Files.createDirectory(dir.resolve("patches"));
        TestJars.greeterFixJar(patches);
        Path broken = Files.writeString(patches.resolve("0-broken.jar"), "not a jar");
        // A copy cut short (a full disk, an interrupted scp): the ZIP's central directory is missing.
        byte[] whole = Files.readAllBytes(TestJars.shoutFixJar(dir));
        Path truncated = Files.write(patches.resolve("20-trunc.jar"), java.util.Arrays.copyOf(whole, whole.length / 2));
        try (ServiceProcess started = new ServiceProcess("-javaagent:" + TestJars.AGENT + "=patches=" + patches)) {
            assertEquals(GREET_FIXED, started.call());
            Cli log = Cli.run("status", started.pid(), "--log");
            assertTrue(log.out().contains("1. fix-greet [enabled]"), log.toString());
            assertTrue(log.out().contains("0-broken.jar"), log.toString());
            // Without --log, status says which JARs of the directory are not loaded, and why.
            Cli status = Cli.run("status", started.pid());
            assertTrue(status.out().contains("1 patch\n"), status.toString());
            for (Path bad : List.of(broken, truncated)) {
                assertTrue(status.out().contains("\n  start-up: skipped " + bad + ": INVALID_PATCH: "), status.toString());
            }
            Cli json = Cli.run("status", started.pid(), "--json");
            assertTrue(json.out().contains("{\"jar\":\"" + truncated + "\",\"by\":\"start-up\",\"state\":\"skipped\","
                    + "\"reason\":\"INVALID_PATCH: "), json.toString());

            // The operator mends the cut copy and loads it by hand: status no longer says it was skipped.
            Files.write(truncated, whole);
            Cli load = Cli.run("load", started.pid(), truncated);
            assertEquals(0, load.exitCode(), load.toString());
            Cli after = Cli.run("status", started.pid());
            assertTrue(after.out().contains("2. fix-shout [enabled]"), after.toString());
            assertFalse(after.out().contains("skipped " + truncated), after.toString());
            assertTrue(after.out().contains("\n  start-up: skipped " + broken + ": INVALID_PATCH: "), after.toString());
            Cli afterJson = Cli.run("status", started.pid(), "--json");
            assertFalse(afterJson.out().contains("{\"jar\":\"" + truncated + "\""), afterJson.toString());
        }
    }

    /**
     * A patches=<dir> that cannot be read (a misspelt path, a volume not mounted) is in status, not only in
     * the log and the audit log: status said "no patches registered" and nothing of the directory, so the
     * operator saw no reason why none of the fixes asked for ran.
     */
    @Test
    void aPatchesDirectoryThatCannotBeReadIsInStatus() throws Exception {
        Path misspelt = dir.resolve("pacthes");
        try (ServiceProcess started = new ServiceProcess("-javaagent:" + TestJars.AGENT + "=patches=" + misspelt)) {
            assertEquals(ORIGINAL, started.call());
            Cli status = Cli.run("status", started.pid());
            assertEquals(0, status.exitCode(), status.toString());
            assertTrue(status.out().contains("no patches registered\n"), status.toString());
            assertTrue(status.out().contains("\n  start-up: skipped " + misspelt + ": INVALID_ARGUMENT: patch directory "
                    + misspelt + " cannot be read (") && status.out().contains("); no patch loaded at start-up: check"
                    + " patches=<dir>\n"), status.toString());
            Cli json = Cli.run("status", started.pid(), "--json");
            assertTrue(json.out().contains("{\"jar\":\"" + misspelt + "\",\"by\":\"start-up\",\"state\":\"skipped\","
                    + "\"reason\":\"INVALID_ARGUMENT: patch directory "), json.toString());
        }
    }

    /**
     * --agent-options given to a load into a JVM where jlivepatch runs already are not applied, and the
     * command says so, naming the options without their values (a password): before, it said nothing, so
     * an operator who gave audit= or truststore= believed the JVM now recorded or verified patches.
     */
    @Test
    void agentOptionsThatAreIgnoredAreSaidToBe() throws Exception {
        Path audit = dir.resolve("audit-asked-for.jsonl");
        try (ServiceProcess fresh = new ServiceProcess()) {
            Cli first = Cli.run("load", fresh.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, first.exitCode(), first.toString());
            assertFalse(first.err().contains("ignored"), first.toString());
            Cli second = Cli.run("load", "--agent-options", "audit=" + audit + ",truststore-password=s3cret",
                    fresh.pid(), TestJars.shoutFixJar(dir));
            assertEquals(0, second.exitCode(), second.toString());
            assertTrue(second.err().contains("jlivepatch: warning: jlivepatch runs in pid " + fresh.pid() + " already, so"
                    + " --agent-options (audit, truststore-password) were ignored: the agent's options are set when it is"
                    + " loaded ('jlivepatch status " + fresh.pid() + "' shows its trust policy and audit file); to change"
                    + " them, restart the JVM with -javaagent:jlivepatch-agent.jar=<options>"), second.toString());
            assertFalse(second.err().contains("s3cret"), second.toString());
            assertFalse(Files.exists(audit), "the options were not applied");
            // a trust store can still be given to a JVM without one, by an attach: the warning says how
            Cli third = Cli.run("load", "--no-enable", "--agent-options", "truststore=/t.jks", fresh.pid(),
                    TestJars.shoutFixJar(dir));
            assertTrue(third.err().contains("--agent-options (truststore) were ignored: ") && third.err().contains(
                    "restart the JVM with -javaagent:jlivepatch-agent.jar=<options> (a JVM without a trust store takes"
                    + " one from an attach of the agent with it: jcmd " + fresh.pid() + " JVMTI.agent_load"
                    + " <jlivepatch-agent.jar> '\"truststore=<file>\"'; README 'Signed patches')"), third.toString());
        }
    }

    @Test
    void aThreadInsideAPatchedMethodHoldsTheTransitionUntilForced() throws Exception {
        service.hold();
        Cli load = Cli.run("load", "--wait", "1", service.pid(), TestJars.holdFixJar(dir));
        assertEquals(3, load.exitCode(), "enabled, transition not ended: exit 3\n" + load);
        assertTrue(load.out().contains("transition still running") && load.out().contains("thread 'holder'")
                && load.out().contains("agentapp.Greeter.hold")
                && load.out().contains("'jlivepatch force " + service.pid() + " fix-hold' ends it"), load.toString());

        Cli status = Cli.run("status", service.pid());
        assertTrue(status.out().contains("1. fix-hold [enabled, in transition]")
                && status.out().contains("waiting: thread 'holder'"), status.toString());
        Cli json = Cli.run("status", service.pid(), "--json");
        assertTrue(json.out().contains("\"transition\":true") && json.out().contains("holder"), json.toString());

        Cli busy = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
        assertEquals(1, busy.exitCode(), busy.toString());
        assertTrue(busy.err().contains("BUSY") && busy.err().contains("fix-hold"), busy.toString());
        assertEquals(ORIGINAL, service.call(), "the refused load left nothing behind");
        assertTrue(Cli.run("status", service.pid()).out().contains("1 patch"));

        Cli force = Cli.run("force", service.pid(), "fix-hold");
        assertEquals(0, force.exitCode(), force.toString());
        // the thread the force moved while inside the old code, which it keeps running (status lists it no more)
        assertTrue(force.out().contains("every thread now counts as patched, and status says so, but a thread still"
                + " inside the old code (the version below 'fix-hold') keeps running it until it returns")
                && force.out().contains("these held the transition just before the force:" + System.lineSeparator()
                + "    thread 'holder'") && force.out().contains("agentapp.Greeter.hold")
                && force.out().contains("('jcmd " + service.pid() + " Thread.print' shows where they are now)"),
                force.toString());
        Cli after = Cli.run("status", service.pid());
        assertTrue(after.out().contains("1. fix-hold [enabled, forced]"), after.toString());
        Cli again = Cli.run("force", service.pid(), "fix-hold");
        assertEquals(1, again.exitCode(), again.toString());
        assertTrue(again.err().contains("not in transition"), again.toString());
        service.release();
    }

    /**
     * "Patching complete" means complete: the kernel's transition file reads 1 until the post callbacks have run.
     * Before, Transition turned false before the postPatch ran, and load said "patching complete", exit 0, while
     * it still ran.
     */
    @Test
    void aLoadSaysPatchingCompleteOnlyOnceItsPostPatchHasReturned() throws Exception {
        Path jar = TestJars.patchJar(dir, "fix-warm-up.jar", Map.of("Livepatch-Name", "fix-warm-up",
                "Livepatch-Class", "agentapp.fix.BlockingPostPatchFix", "Livepatch-Hold",
                "agentapp.Greeter.hold(Ljava/util/concurrent/CountDownLatch;)Ljava/lang/String;"),
                "agentapp.fix.BlockingPostPatchFix");
        // A thread in the held method: the transition cannot end within the load's call, so its end and the
        // postPatch come on jlivepatch's transition worker once the thread leaves.
        service.hold();
        java.util.concurrent.CompletableFuture<CliProcess> loading = inBackgroundUntilStatusShows(
                "1. fix-warm-up [enabled, in transition]", "load", "--wait", "60", service.pid(), jar);
        service.release(); // the transition ends; its postPatch waits for the gate
        String running = "     closing callback running: postPatch of agentapp.Greeter in class loader app";
        Cli status = Cli.run("status", service.pid());
        for (int i = 0; i < 600 && !status.out().contains(running); i++) {
            Thread.sleep(100);
            status = Cli.run("status", service.pid());
        }
        assertTrue(status.out().contains("1. fix-warm-up [enabled, in transition]") && status.out().contains(running)
                && status.out().contains(": every thread has moved; the transition ends when it returns"),
                status.toString());
        Cli json = Cli.run("status", service.pid(), "--json");
        assertTrue(json.out().contains("\"transition\":true") && json.out().contains("\"closingCallback\":\"postPatch"
                + " of agentapp.Greeter in class loader app"), json.toString());
        assertFalse(loading.isDone(), "no 'patching complete' while its postPatch runs");
        Cli force = Cli.run("force", service.pid(), "fix-warm-up");
        assertEquals(1, force.exitCode(), force.toString());
        assertTrue(force.err().contains("ILLEGAL_STATE: cannot force patch 'fix-warm-up': its transition has ended on"
                + " every thread and only its closing callbacks are left, postPatch of agentapp.Greeter")
                && force.err().contains("force cannot end a callback"), force.toString());

        assertEquals("opened", service.ask("open"));
        CliProcess load = loading.get(CliProcess.HANG_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(0, load.exitCode(), load.toString());
        assertTrue(load.out().startsWith("'fix-warm-up': enabled in pid " + service.pid() + ", patching complete in "),
                load.toString());
        assertTrue(Cli.run("status", service.pid()).out().contains("1. fix-warm-up [enabled]"));
        assertEquals(0, Cli.run("unload", service.pid(), "fix-warm-up").exitCode());
    }

    /**
     * A load whose transition ends inside its own call (no thread holds it) while its postPatch blocks: the call is
     * not answered, and at the end of --wait the command's second connection reads the agent's own status, whose
     * closingCallback names the callback and whose provenance (sha256, loadedBy, loadedAt, read through
     * StatusJson.object) says this command loaded this JAR: exit 3 naming the callback, not exit 4 at --timeout.
     * ClosingCallbackWaitTest has the command's side against a stand-in's status text; this one is the agent's.
     */
    @Test
    void aLoadWhosePostPatchHoldsItsOwnCallExits3NamingItFromTheAgentsStatus() throws Exception {
        Path jar = TestJars.patchJar(dir, "fix-warm-up.jar", Map.of("Livepatch-Name", "fix-warm-up",
                "Livepatch-Class", "agentapp.fix.BlockingPostPatchFix", "Livepatch-Hold",
                "agentapp.Greeter.hold(Ljava/util/concurrent/CountDownLatch;)Ljava/lang/String;"),
                "agentapp.fix.BlockingPostPatchFix");
        // --wait well beyond the load's own checks (the one look comes at its end), --timeout beyond the gate's 60 s
        CliProcess load = CliProcess.run("load", "--wait", "15", "--timeout", "100", service.pid(), jar);
        assertEquals(3, load.exitCode(), load.toString());
        assertTrue(load.out().startsWith("'fix-warm-up': enabled in pid " + service.pid() + ", transition still running"
                + " after 15 s; waiting for:\n  the closing callback of 'fix-warm-up': postPatch of agentapp.Greeter in"
                + " class loader app"), load.toString());
        assertFalse(load.out().contains("jlivepatch force"), load.toString());

        assertEquals("opened", service.ask("open"));
        Cli status = Cli.run("status", service.pid());
        for (int i = 0; i < 600 && !status.out().contains("1. fix-warm-up [enabled]"); i++) {
            Thread.sleep(100);
            status = Cli.run("status", service.pid());
        }
        assertTrue(status.out().contains("1. fix-warm-up [enabled]"), status.toString());
        assertEquals(0, Cli.run("unload", service.pid(), "fix-warm-up").exitCode());
    }

    /**
     * A disable whose transition ends inside its own call (no thread holds the patch) while its postUnpatch blocks:
     * the call is not answered, and at the end of --wait the command's second connection asks the agent, with its
     * first connection's token, for the closing callback of its own call, which the agent names: exit 3 naming it,
     * not exit 4 at --timeout. ClosingLookTest has the command's side against a stand-in; this one is the agent's.
     */
    @Test
    void aDisableWhosePostUnpatchHoldsItsOwnCallExits3NamingItFromTheAgentsStatus() throws Exception {
        Path jar = TestJars.patchJar(dir, "fix-cool-down.jar", Map.of("Livepatch-Name", "fix-cool-down",
                "Livepatch-Class", "agentapp.fix.BlockingPostUnpatchFix"), "agentapp.fix.BlockingPostUnpatchFix");
        assertEquals(0, Cli.run("load", service.pid(), jar).exitCode());
        // --wait well beyond the disable's own reads (the one look comes at its end), --timeout beyond the gate's 60 s
        CliProcess disable = CliProcess.run("disable", "--wait", "15", "--timeout", "100", service.pid(),
                "fix-cool-down");
        assertEquals(3, disable.exitCode(), disable.toString());
        assertTrue(disable.out().startsWith("'fix-cool-down': disabled in pid " + service.pid() + ", transition still"
                + " running after 15 s; waiting for:\n  the closing callback of 'fix-cool-down': postUnpatch of"
                + " agentapp.Greeter in class loader app")
                && disable.out().contains(" (thread 'jlivepatch-control-session' (id ") // the call's own thread
                && disable.out().contains("('jlivepatch status " + service.pid() + "' follows it; force cannot end a"
                + " callback)"), disable.toString());
        assertFalse(disable.out().contains("jlivepatch force"), disable.toString());

        assertEquals("opened", service.ask("open"));
        Cli status = Cli.run("status", service.pid());
        for (int i = 0; i < 600 && !status.out().contains("1. fix-cool-down [disabled]"); i++) {
            Thread.sleep(100);
            status = Cli.run("status", service.pid());
        }
        assertTrue(status.out().contains("1. fix-cool-down [disabled]"), status.toString());
        assertEquals(0, Cli.run("unload", service.pid(), "fix-cool-down").exitCode());
    }

    /**
     * A transition that every thread has left, whose end waits in its closing steps with no callback running at that
     * instant (the seam PatchRegistry.holdClosingForTests holds the worker there): a force would wait for
     * jlivepatch's lock and find nothing to end, so the command whose --wait runs out there offers none. Before, it
     * offered "'jlivepatch force <pid> fix-hold' ends it at once".
     */
    @Test
    void aTransitionEndingWithNoThreadAndNoCallbackAtTheInstantIsOfferedNoForce() throws Exception {
        Path jar = TestJars.holdFixJar(dir);
        assertEquals(0, Cli.run("load", "--no-enable", service.pid(), jar).exitCode()); // the agent, for the seam
        assertEquals("closing held", service.ask("hold-closing"));
        service.hold(); // the enable's transition cannot end within its call: its end comes on the worker
        java.util.concurrent.CompletableFuture<CliProcess> enabling = inBackgroundUntilStatusShows(
                "1. fix-hold [enabled, in transition]", "enable", "--wait", "10", "--timeout", "100", service.pid(),
                "fix-hold");
        service.release(); // the thread leaves; the worker ends the transition and waits in its closing steps
        CliProcess enable = enabling.get(CliProcess.HANG_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(3, enable.exitCode(), enable.toString());
        assertEquals("'fix-hold': enabled in pid " + service.pid() + ", transition still running after 10 s; waiting"
                + " for:\n  no thread holds it now: its end is under way ('jlivepatch status " + service.pid() + "' follows"
                + " it)\n", enable.out());

        assertEquals("opened", service.ask("open"));
        Cli status = Cli.run("status", service.pid());
        for (int i = 0; i < 600 && !status.out().contains("1. fix-hold [enabled]"); i++) {
            Thread.sleep(100);
            status = Cli.run("status", service.pid());
        }
        assertTrue(status.out().contains("1. fix-hold [enabled]"), status.toString());
    }

    /**
     * A disable that reverses an enable's transition a thread still holds (inside the old code, where the reversal
     * leaves it): the reversed transition ends inside the disable's call, whose postUnpatch blocks. The command's look
     * claims it from the agent's answer to its connection's token: exit 3 naming it. Before 9922c56c, a transition at
     * the command's read before its change kept the look from claiming anything: it waited for the call (answered
     * when the gate's 60 s bound let the callback return).
     */
    @Test
    void aDisableThatReversesAHeldEnableAndIsHeldByItsPostUnpatchExits3NamingIt() throws Exception {
        service.hold(); // the load's transition cannot end while this thread is inside the method
        Path jar = TestJars.patchJar(dir, "fix-hold-cool.jar", Map.of("Livepatch-Name", "fix-hold-cool",
                "Livepatch-Class", "agentapp.fix.HoldCoolDownFix"), "agentapp.fix.HoldCoolDownFix");
        Cli load = Cli.run("load", "--wait", "1", service.pid(), jar);
        assertEquals(3, load.exitCode(), load.toString());
        assertTrue(load.out().contains("thread 'holder'"), load.toString());
        CliProcess disable = CliProcess.run("disable", "--wait", "15", "--timeout", "100", service.pid(),
                "fix-hold-cool");
        assertEquals(3, disable.exitCode(), disable.toString());
        assertTrue(disable.out().startsWith("'fix-hold-cool': disabled in pid " + service.pid() + ", transition still"
                + " running after 15 s; waiting for:\n  the closing callback of 'fix-hold-cool': postUnpatch of"
                + " agentapp.Greeter in class loader app")
                && disable.out().contains(" (thread 'jlivepatch-control-session' (id ") // the call's own thread
                && disable.out().contains("force cannot end a callback"), disable.toString());
        assertFalse(disable.out().contains("jlivepatch force"), disable.toString());

        assertEquals("opened", service.ask("open"));
        service.release();
        Cli status = Cli.run("status", service.pid());
        for (int i = 0; i < 600 && !status.out().contains("1. fix-hold-cool [disabled]"); i++) {
            Thread.sleep(100);
            status = Cli.run("status", service.pid());
        }
        assertTrue(status.out().contains("1. fix-hold-cool [disabled]"), status.toString());
        assertEquals(0, Cli.run("unload", service.pid(), "fix-hold-cool").exitCode());
    }

    @Test
    void aCommandWhoseChangeAnotherOperationReversesSaysSoAndExits1() throws Exception {
        service.hold(); // the load's transition cannot end while this thread is inside the method
        Path jar = TestJars.holdFixJar(dir);
        java.util.concurrent.CompletableFuture<CliProcess> loading = inBackgroundUntilStatusShows(
                "1. fix-hold [enabled, in transition]", "load", "--wait", "60", service.pid(), jar);

        // Another operator: disabling reverses the transition, which the held thread never left.
        Cli disable = Cli.run("disable", service.pid(), "fix-hold");
        assertEquals(0, disable.exitCode(), disable.toString());
        CliProcess load = loading.get(CliProcess.HANG_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(1, load.exitCode(), "the load's change did not last: " + load);
        assertTrue(load.out().startsWith("'fix-hold': registered and enabled in pid " + service.pid() + ", but another"
                + " operation disabled it again before its transition ended: it is disabled now"), load.toString());
        assertTrue(!load.out().contains("complete"), load.toString());
        assertTrue(Cli.run("status", service.pid()).out().contains("1. fix-hold [disabled]"));
        service.release();
    }

    @Test
    void aLoadWhoseTransitionAnotherOperatorForcesSaysItWasForced() throws Exception {
        service.hold(); // the load's transition cannot end while this thread is inside the method
        Path jar = TestJars.holdFixJar(dir);
        java.util.concurrent.CompletableFuture<CliProcess> loading = inBackgroundUntilStatusShows(
                "1. fix-hold [enabled, in transition]", "load", "--wait", "60", service.pid(), jar);
        assertEquals(0, Cli.run("force", service.pid(), "fix-hold").exitCode()); // another operator
        CliProcess load = loading.get(CliProcess.HANG_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(0, load.exitCode(), load.toString());
        assertTrue(load.out().startsWith("'fix-hold': enabled in pid " + service.pid() + ", patching complete in ")
                && load.out().contains(" ms (forced by another operation: threads that were in the old code then may"
                + " still run it)"), load.toString());
        service.release(); // the thread leaves the method: nothing holds the disable
        Cli disable = Cli.run("disable", service.pid(), "fix-hold");
        assertEquals(0, disable.exitCode(), disable.toString());
        assertTrue(!disable.out().contains("forced by another"), "forced before this command: " + disable);
    }

    @Test
    void anUnloadWhoseDisableAnotherOperationReversesSaysSoExits1AndLeavesItRegistered() throws Exception {
        java.util.concurrent.CompletableFuture<CliProcess> unloading = unloadHeldInItsDisable();

        Cli enable = Cli.run("enable", service.pid(), "fix-greet-held"); // another operator
        assertEquals(0, enable.exitCode(), enable.toString());
        CliProcess unload = unloading.get(CliProcess.HANG_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(1, unload.exitCode(), "its change did not last, and nothing is unknown: " + unload);
        assertTrue(unload.out().startsWith("'fix-greet-held': disabled in pid " + service.pid() + ", but another"
                + " operation enabled it again before its transition ended: it is enabled now")
                && unload.out().contains("; not unregistered"), unload.toString());
        assertTrue(Cli.run("status", service.pid()).out().contains("1. fix-greet-held [enabled]"));
        assertEquals(GREET_FIXED, service.call());
        service.release();
    }

    @Test
    void anUnloadWhoseDisableAnotherOperatorForcesSaysItWasForced() throws Exception {
        java.util.concurrent.CompletableFuture<CliProcess> unloading = unloadHeldInItsDisable();
        assertEquals(0, Cli.run("force", service.pid(), "fix-greet-held").exitCode()); // another operator
        CliProcess unload = unloading.get(CliProcess.HANG_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(0, unload.exitCode(), unload.toString());
        assertTrue(unload.out().matches("'fix-greet-held': disabled and unregistered in pid " + service.pid()
                + ", unpatching complete in \\d+ ms \\(forced by another operation: threads that were in the old code"
                + " then may still run it\\)\n"), unload.toString());
        assertTrue(Cli.run("status", service.pid()).out().contains("forced, then unregistered"));
        service.release();
    }

    /**
     * An unload of a patch another command disabled, whose transition a thread still holds: one line
     * saying what the patch is, then the threads and what to run, exit 3. It said "still in transition
     * in pid ..., transition still running after 1 s": the same thing twice, and not that it was disabled.
     */
    @Test
    void anUnloadOfAPatchDisabledAlreadyWhoseTransitionRunsSaysSoOnce() throws Exception {
        assertEquals(0, Cli.run("load", service.pid(), greeterFixHeldByHold()).exitCode());
        service.hold(); // the disable's transition cannot end while this thread is inside the held method
        Cli disable = Cli.run("disable", "--wait", "1", service.pid(), "fix-greet-held");
        assertEquals(3, disable.exitCode(), disable.toString());
        Cli unload = Cli.run("unload", "--wait", "1", service.pid(), "fix-greet-held");
        assertEquals(3, unload.exitCode(), unload.toString());
        assertTrue(unload.out().startsWith("'fix-greet-held': disabled already in pid " + service.pid() + ", transition"
                + " still running after 1 s; waiting for:\n"), unload.toString());
        assertTrue(unload.out().contains("  (still registered: 'jlivepatch unregister " + service.pid()
                + " fix-greet-held' once it has ended)"), unload.toString());
        assertFalse(unload.out().contains("still in transition"), unload.toString());
        assertTrue(Cli.run("status", service.pid()).out().contains("1. fix-greet-held [disabled, in transition]"));
        service.release();
    }

    /**
     * Runs a command in the background (another operator's, say) and returns once status shows
     * {@code shows}: its transition is running, held by the service's thread.
     */
    private java.util.concurrent.CompletableFuture<CliProcess> inBackgroundUntilStatusShows(String shows, Object... args)
            throws Exception {
        java.util.concurrent.CompletableFuture<CliProcess> command = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return CliProcess.run(args);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
        Cli status = Cli.run("status", service.pid());
        for (int i = 0; i < 600 && !status.out().contains(shows); i++) {
            Thread.sleep(100);
            status = Cli.run("status", service.pid());
        }
        assertTrue(status.out().contains(shows), status.toString());
        return command;
    }

    /**
     * Loads {@link #greeterFixHeldByHold()}, holds the service's thread in the method it holds, and
     * unloads it in the background: returns once its disable's transition is running, held.
     */
    private java.util.concurrent.CompletableFuture<CliProcess> unloadHeldInItsDisable() throws Exception {
        assertEquals(0, Cli.run("load", service.pid(), greeterFixHeldByHold()).exitCode());
        service.hold();
        return inBackgroundUntilStatusShows("1. fix-greet-held [disabled, in transition]", "unload", "--wait", "60",
                service.pid(), "fix-greet-held");
    }

    /** The greeter's fix, holding the method the service's held thread waits in: its transitions cannot end meanwhile. */
    private Path greeterFixHeldByHold() throws Exception {
        return TestJars.patchJar(dir, "fix-greet-held.jar", java.util.Map.of("Livepatch-Name", "fix-greet-held",
                "Livepatch-Class", "agentapp.fix.GreeterFix", "Livepatch-Hold",
                "agentapp.Greeter.hold(Ljava/util/concurrent/CountDownLatch;)Ljava/lang/String;"), "agentapp.fix.GreeterFix");
    }

    private static JMXConnector jmx(long pid) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
        try {
            return JMXConnectorFactory.connect(new JMXServiceURL(vm.startLocalManagementAgent()));
        } finally {
            vm.detach();
        }
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage();
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
