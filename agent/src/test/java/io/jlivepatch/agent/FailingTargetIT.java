package io.jlivepatch.agent;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;

import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The command against a target JVM that fails a particular way, each way provoked for real (none
 * by a timing of its own): the command ends with a refusal that says what was wrong and what to do,
 * and the application answers as it did, without jlivepatch (nothing half-installed). One service
 * serves the refusals that need no JVM of their own.
 */
class FailingTargetIT {

    @TempDir
    static Path shared;

    @TempDir
    Path dir;

    private static ServiceProcess service;
    private static Path serviceErr;

    @BeforeAll
    static void startService() throws Exception {
        serviceErr = shared.resolve("service-stderr.txt");
        service = new ServiceProcess(ProcessBuilder.Redirect.to(serviceErr.toFile()));
        // its classes loaded before a test takes its file descriptors away (a class loads from a file)
        assertEquals(ORIGINAL, service.call());
    }

    @AfterAll
    static void stopService() throws Exception {
        if (service != null) {
            service.close();
        }
    }

    /** {@code target} after a refusal: its own answer, and jlivepatch not loaded there. */
    private static void unchanged(ServiceProcess target) throws IOException {
        assertEquals(ORIGINAL, target.call());
        Cli status = Cli.run("status", target.pid());
        assertEquals(0, status.exitCode(), status.toString());
        assertEquals("pid " + target.pid() + ": jlivepatch not loaded", status.out().trim(), status.toString());
    }

    @Test
    void aJvmThatDisablesAttachingWhereTheCommandDoesNotLookIsRefusedByTheAttachApiAtOnce() throws Exception {
        // In a file its command line names, written since the JVM started (it may not say what the JVM
        // read: the command does not rest a refusal on it): the attach API finds it out from the JVM's
        // performance data, at once. An options file named in an argument file, as the JVM reads it.
        Path options = Files.writeString(dir.resolve("jvm.options"), "-XX:+DisableAttachMechanism\n");
        Path argfile = Files.writeString(dir.resolve("jvm.args"), "-XX:VMOptionsFile=" + options + "\n");
        Path jar = TestJars.greeterFixJar(dir);
        try (ServiceProcess closed = new ServiceProcess("@" + argfile)) {
            Files.setLastModifiedTime(options, java.nio.file.attribute.FileTime.from(
                    java.time.Instant.now().plus(java.time.Duration.ofHours(1))));
            for (List<Object> command : List.of(List.<Object>of("status", closed.pid()),
                    List.<Object>of("load", closed.pid(), jar))) {
                Cli c = Cli.run(command.toArray());
                assertEquals(1, c.exitCode(), command + ": " + c);
                assertTrue(c.err().contains("cannot attach to pid " + closed.pid() + " (") && c.err().contains("): it must"
                        + " be a JVM run by the same user, without -XX:+DisableAttachMechanism;"), command + ": " + c);
            }
            assertEquals(ORIGINAL, closed.call());
        }
    }

    /**
     * The JVMs the attach API's list leaves out are listed all the same: one that allows no attaching as
     * such (the command names the option, as load's refusal does), one without performance data as not
     * asked, naming the option that leaves it out of the JDK's list and the command that asks it. Before,
     * neither was in the list, so the operator looking for the service's pid found nothing, while every
     * refusal of a wrong pid says "'jlivepatch list' shows the local JVMs".
     */
    @Test
    void listShowsTheJvmsTheAttachApiLeavesOut() throws Exception {
        try (ServiceProcess closed = new ServiceProcess("-XX:+DisableAttachMechanism");
             ServiceProcess quiet = new ServiceProcess("-XX:-UsePerfData")) {
            Cli list = Cli.run("list");
            assertEquals(0, list.exitCode(), list.toString());
            String line = lineOf(list.out(), closed.pid());
            assertTrue(line.contains(" not attachable (-XX:+DisableAttachMechanism) ")
                    && line.trim().endsWith(" agentapp.ServiceApp"), list.toString());
            assertTrue(lineOf(list.out(), quiet.pid()).contains(" unknown (not in the JDK's list of JVMs: it runs with"
                    + " -XX:-UsePerfData; not asked: 'jlivepatch status " + quiet.pid() + "' asks it) "), list.toString());
            Cli json = Cli.run("list", "--json");
            assertEquals(0, json.exitCode(), json.toString());
            assertTrue(json.out().contains("{\"pid\":" + closed.pid() + ",\"mainClass\":\"agentapp.ServiceApp\","
                    + "\"jlivepatch\":\"not attachable (-XX:+DisableAttachMechanism)\"}"), json.toString());
            assertEquals(ORIGINAL, closed.call()); // listing attached nothing
            assertEquals(ORIGINAL, quiet.call());
        }
    }

    private static String lineOf(String listing, long pid) {
        for (String line : listing.split("\n")) {
            if (line.startsWith(pid + " ")) {
                return line;
            }
        }
        return "(no line for pid " + pid + ")";
    }

    /**
     * A JVM that allows attaching by the last word of its options is not refused: its argument file
     * names the option in a comment and sets it, then takes it back on its command line (the command
     * refused it, "runs with -XX:+DisableAttachMechanism (in jvm.args)", though jcmd attaches to it).
     */
    @Test
    void aJvmWhoseLastWordAllowsAttachingIsAttachedTo() throws Exception {
        Path file = Files.writeString(dir.resolve("jvm.args"), "# -XX:+DisableAttachMechanism for production\n"
                + "-XX:-UsePerfData -XX:+DisableAttachMechanism\n");
        try (ServiceProcess open = new ServiceProcess("@" + file, "-XX:-DisableAttachMechanism")) {
            unchanged(open);
        }
    }

    /**
     * The same in a file its command line names ({@code java @file}, {@code -XX:VMOptionsFile=}), with no
     * performance data: the attach API cannot tell, and the command waited out its --timeout, then said
     * the JVM "may be stopped or overloaded; retry with a larger --timeout", which never helps.
     */
    @Test
    void aJvmThatDisablesAttachingInAFileItsCommandLineNamesIsRefusedAtOnce() throws Exception {
        Path file = Files.writeString(dir.resolve("jvm.args"), "-XX:-UsePerfData\n-XX:+DisableAttachMechanism\n");
        for (String naming : new String[] {"@", "-XX:VMOptionsFile="}) {
            try (ServiceProcess closed = new ServiceProcess(naming + file)) {
                Cli status = Cli.run("status", "--timeout", "5", closed.pid()); // the refusal's words: not after it
                assertEquals(1, status.exitCode(), naming + ": " + status);
                assertTrue(status.err().contains(") runs with -XX:+DisableAttachMechanism (in " + file + "): no tool can"
                        + " attach to it; restart it without that option, or with -javaagent:jlivepatch-agent.jar"),
                        naming + ": " + status);
                assertEquals(ORIGINAL, closed.call());
            }
        }
    }

    @Test
    void aJvmWithoutAFreeFileDescriptorIsNotAttachedTo() throws Exception {
        // Its attach listener would wait for a descriptor for good, and the command wait out its timeout.
        assumeTrue(run("prlimit", "--version") == 0, "prlimit (util-linux) sets a running process's limit");
        long[] limit = openFiles(service.pid());
        assertEquals(0, run("prlimit", "--pid", Long.toString(service.pid()), "--nofile=3:" + limit[1]));
        Cli load;
        try {
            load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
        } finally {
            assertEquals(0, run("prlimit", "--pid", Long.toString(service.pid()), "--nofile=" + limit[0] + ":" + limit[1]));
        }
        assertEquals(1, load.exitCode(), load.toString());
        assertTrue(load.err().contains("pid " + service.pid() + " has 0 of 3 file descriptors free: it cannot answer an"
                + " attach (the JVM's attach listener would wait for one for good); free descriptors or raise its limit"
                + " (ulimit -n), then retry"), load.toString());
        unchanged(service);
    }

    @Test
    void aJvmThatRefusesAgentsAfterStartUpIsNamedWithWhatToDo() throws Exception {
        assumeTrue(Runtime.version().feature() >= 21, "the flag exists from JDK 21");
        try (ServiceProcess strict = new ServiceProcess("-XX:-EnableDynamicAgentLoading")) {
            Cli load = Cli.run("load", strict.pid(), TestJars.greeterFixJar(dir));
            assertEquals(1, load.exitCode(), load.toString());
            assertTrue(load.err().contains("pid " + strict.pid() + " refused the jlivepatch agent (")
                    && load.err().contains("Dynamic agent loading is not enabled") && load.err().contains("); on JDK 21+"
                    + " start it with -XX:+EnableDynamicAgentLoading or with -javaagent"), load.toString());
            unchanged(strict);
        }
    }

    /**
     * An agent asked to load while the start-up's own installation still runs (its trust store's read
     * held at the agent's test gate, a FIFO nobody writes yet) waits for it, up to 10 s: the command's
     * time runs out first, and it cannot know whether the agent will still install. Not a refusal.
     */
    @Test
    void anAgentWhoseLoadIsNotAnsweredInTimeIsAnUnknownOutcomeNotARefusal() throws Exception {
        Path store = Files.writeString(dir.resolve("held-store.p12"), "not a key store");
        Path fifo = dir.resolve("gate");
        assertEquals(0, run("mkfifo", fifo.toString()), "mkfifo");
        try (ServiceProcess held = new ServiceProcess(ProcessBuilder.Redirect.DISCARD,
                "-Djlivepatch.test.trustStoreGate=" + fifo,
                "-javaagent:" + TestJars.AGENT + "=truststore=" + store + ",truststore-password=changeit")) {
            Cli load = Cli.run("load", "--timeout", "4", held.pid(), TestJars.greeterFixJar(dir));
            assertEquals(4, load.exitCode(), load.toString());
            assertTrue(load.err().contains("jlivepatch: unknown outcome: pid " + held.pid() + " did not answer within 4 s"
                    + " (while loading the agent)") && load.err().contains("it had been asked to load jlivepatch and may"
                    + " still do so: 'jlivepatch list' shows whether it did"), load.toString());
            assertEquals(ORIGINAL, held.call());
            try (OutputStream out = Files.newOutputStream(fifo)) {
                out.write("not a key store".getBytes(StandardCharsets.US_ASCII));
            }
            assertEquals("installed", held.awaitAgent());
            Cli status = Cli.run("status", held.pid());
            assertTrue(status.out().contains("no patches registered"), "the patch was never sent: " + status);
            assertEquals(ORIGINAL, held.call());
        }
    }

    @Test
    void theCommandRunFromADirectoryIsRefusedBeforeItLoadsAnything() throws Exception {
        Path classes = unpack(TestJars.AGENT, dir.resolve("unpacked"));
        String before = Files.readString(serviceErr);
        CliProcess load = CliProcess.launched(List.of("-cp", classes.toString(), "io.jlivepatch.agent.cli.Main"),
                "load", service.pid(), TestJars.greeterFixJar(dir));
        assertEquals(1, load.exitCode(), load.toString());
        assertTrue(load.err().contains("jlivepatch runs from " + classes + ", not from its agent JAR: run java -jar"
                + " agent/target/jlivepatch-agent.jar"), load.toString());
        assertEquals(before, Files.readString(serviceErr), "nothing said in the application's standard error");
        unchanged(service);
    }

    /**
     * The command's classes in a JAR whose manifest is not the agent's (shaded into another JAR, or
     * repacked): the JVM asked to load it as the agent refused it, which the command reported as the
     * JVM refusing jlivepatch (to be started with -XX:+EnableDynamicAgentLoading), and the JVM wrote
     * its refusal into the application's standard error.
     */
    @Test
    void theCommandRunFromAJarThatIsNotTheAgentIsRefusedBeforeItLoadsAnything() throws Exception {
        Path repacked = dir.resolve("repacked.jar");
        try (JarInputStream in = new JarInputStream(Files.newInputStream(TestJars.AGENT)); // reads past the manifest
             JarOutputStream out = new JarOutputStream(Files.newOutputStream(repacked))) {
            for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                out.putNextEntry(new JarEntry(e.getName()));
                in.transferTo(out);
                out.closeEntry();
            }
        }
        String before = Files.readString(serviceErr);
        CliProcess load = CliProcess.launched(List.of("-cp", repacked.toString(), "io.jlivepatch.agent.cli.Main"),
                "load", service.pid(), TestJars.greeterFixJar(dir));
        assertEquals(1, load.exitCode(), load.toString());
        assertTrue(load.err().contains("jlivepatch runs from " + repacked + ", not from its agent JAR (its manifest names"
                + " no Agent-Class): run java -jar agent/target/jlivepatch-agent.jar"), load.toString());
        assertFalse(load.err().contains("refused the jlivepatch agent"), "the JVM refused nothing of its own: " + load);
        assertEquals(before, Files.readString(serviceErr), "nothing said in the application's standard error");
        unchanged(service);
    }

    /**
     * The agent JAR renamed without its .jar (a launcher script's {@code /opt/jlivepatch/jlivepatch}) is
     * the agent all the same, as the JVM reads it: it was refused "jlivepatch runs from ..., not from its
     * agent JAR: run java -jar agent/target/jlivepatch-agent.jar", though the JVM loads it.
     */
    @Test
    void theAgentJarRenamedWithoutItsExtensionLoads() throws Exception {
        Path renamed = Files.copy(TestJars.AGENT, dir.resolve("jlivepatch"));
        try (ServiceProcess target = new ServiceProcess()) {
            CliProcess load = CliProcess.launched(List.of("-jar", renamed.toString()), "load", target.pid(),
                    TestJars.greeterFixJar(dir));
            assertEquals(0, load.exitCode(), load.toString());
            assertEquals(ServiceProcess.GREET_FIXED, target.call(), "the patch runs");
        }
    }

    /**
     * Agent options that, with the agent JAR's path, fill more than the 1024 bytes an attach takes in
     * one argument (the attach protocol's first version, which a JDK 17 command or JVM speaks, and a
     * JDK 25 command with jdk.attach.compat): the JVM closed the attach, which the command reported as
     * "talking to pid N failed: Premature EOF", with neither the cause nor what to do, and a JDK 25 JVM
     * wrote its error into the application's standard output. Refused before the attach is sent.
     */
    @Test
    void agentOptionsLongerThanAnAttachTakesAreRefusedSayingSo() throws Exception {
        String options = "max-entries=" + "0".repeat(1100) + "5"; // a value the agent takes, once it gets it
        int bytes = (TestJars.AGENT + "=" + options).getBytes(StandardCharsets.UTF_8).length;
        Path jar = TestJars.greeterFixJar(dir);
        CliProcess load = CliProcess.launched(List.of("-Djdk.attach.compat=true", "-jar", TestJars.AGENT.toString()),
                "load", "--agent-options", options, service.pid(), jar);
        assertEquals(1, load.exitCode(), load.toString());
        assertTrue(load.err().contains("jlivepatch could not be loaded into pid " + service.pid() + ": the agent JAR's"
                + " path and its --agent-options are " + bytes + " bytes together, more than the 1024 an attach to that"
                + " JVM takes; shorten the options (or the JAR's path), or start the JVM with"
                + " -javaagent:jlivepatch-agent.jar=<options>; nothing was loaded"), load.toString());
        unchanged(service);
        if (Runtime.version().feature() >= 25) {
            // both sides of JDK 25 speak the protocol's second version, which takes them
            try (ServiceProcess recent = new ServiceProcess()) {
                Cli loaded = Cli.run("load", "--agent-options", options, recent.pid(), jar);
                assertEquals(0, loaded.exitCode(), loaded.toString());
                assertEquals(ServiceProcess.GREET_FIXED, recent.call());
            }
        }
    }

    /**
     * Across JDK 25 (a JDK 17 command and a JDK 25 JVM, and the other way round) the attach speaks the
     * protocol's first version: a JDK 17 command knows no other, and a JDK 25 command asks the JVM,
     * which a JDK 17 one answers with the first. Refused either way, from the JVM's own
     * java.specification.version; a JVM whose version cannot be read is taken for one of the first.
     */
    @Test
    void agentOptionsTooLongForAnAttachAcrossJdk25AreRefusedEitherWay() throws Exception {
        String other = TestJars.otherJava();
        assumeTrue(other != null, "a JDK on the other side of 25 from this one (-Djlivepatch.it.otherJdk=<home>)");
        String options = "max-entries=" + "0".repeat(1100) + "5";
        int bytes = (TestJars.AGENT + "=" + options).getBytes(StandardCharsets.UTF_8).length;
        Path jar = TestJars.greeterFixJar(dir);
        String refusal = ": the agent JAR's path and its --agent-options are " + bytes + " bytes together, more than"
                + " the 1024 an attach to that JVM takes";
        try (ServiceProcess there = ServiceProcess.on(other)) {
            CliProcess load = CliProcess.run("load", "--agent-options", options, there.pid(), jar);
            assertEquals(1, load.exitCode(), "this JDK's command, a JVM on " + other + ": " + load);
            assertTrue(load.err().contains("jlivepatch could not be loaded into pid " + there.pid() + refusal),
                    load.toString());
            unchanged(there);
        }
        CliProcess load = CliProcess.launchedOn(other, List.of("-jar", TestJars.AGENT.toString()), "load",
                "--agent-options", options, service.pid(), jar);
        assertEquals(1, load.exitCode(), "the command on " + other + ": " + load);
        assertTrue(load.err().contains("jlivepatch could not be loaded into pid " + service.pid() + refusal),
                load.toString());
        unchanged(service);
    }

    /** The agent JAR in a directory whose name has spaces is loaded from there (the attach sends the path as one argument). */
    @Test
    void theAgentJarInADirectoryWithSpacesLoads() throws Exception {
        Path spaced = Files.copy(TestJars.AGENT, Files.createDirectories(dir.resolve("my tools")).resolve("jlivepatch agent.jar"));
        try (ServiceProcess target = new ServiceProcess()) {
            CliProcess load = CliProcess.launched(List.of("-jar", spaced.toString()), "load", target.pid(),
                    TestJars.greeterFixJar(dir));
            assertEquals(0, load.exitCode(), load.toString());
            assertEquals(ServiceProcess.GREET_FIXED, target.call(), "the patch runs");
        }
    }

    /**
     * A JVM older than Java 17 (its system properties, read over the attach, say so; the attach works on
     * 8 and 11) cannot load the agent's classes: refused before it is asked to, with the version. It was
     * asked, and the command said the JVM refused agents (to start it with -XX:+EnableDynamicAgentLoading).
     * agentapp.OlderJavaApp stands for such a JVM: its properties say Java 11.
     */
    @Test
    void aJvmOlderThanJava17IsRefusedWithItsVersionBeforeTheAgentIsLoaded() throws Exception {
        try (ServiceProcess older = ServiceProcess.running("agentapp.OlderJavaApp")) {
            CliProcess load = CliProcess.run("load", older.pid(), TestJars.greeterFixJar(dir));
            assertEquals(1, load.exitCode(), load.toString());
            assertTrue(load.err().contains("jlivepatch could not be loaded into pid " + older.pid() + ": it runs Java "
                    + agentapp.OlderJavaApp.VERSION + ", and jlivepatch needs Java 17 or later (an older JVM cannot load"
                    + " its classes): run the application on Java 17 or later to patch it with jlivepatch; nothing was"
                    + " loaded"), load.toString());
            // a command that would not load it: not to be loaded either (it said 'jlivepatch load' loads it)
            Cli enable = Cli.run("enable", older.pid(), "fix-greet");
            assertEquals(1, enable.exitCode(), enable.toString());
            assertTrue(enable.err().contains("jlivepatch is not loaded in pid " + older.pid() + ", nor can it be: it runs"
                    + " Java " + agentapp.OlderJavaApp.VERSION + ", and jlivepatch needs Java 17 or later (an older JVM"
                    + " cannot load its classes): run the application on Java 17 or later to patch it with jlivepatch"),
                    enable.toString());
            unchanged(older);
        }
    }

    /**
     * A JVM ends the path of an agent to load at its first '=' (the rest is the agent's options): from a
     * directory named with one, the JVM opened the path up to the '=', wrote "Error opening zip file or
     * JAR manifest missing" into the application's standard error, and the command said the JVM refused
     * agents (to start it with -XX:+EnableDynamicAgentLoading). Refused before the load is sent, saying
     * what to do.
     */
    @Test
    void anAgentJarWhosePathHasAnEqualsSignIsRefusedBeforeTheJvmIsAskedToLoadIt() throws Exception {
        Path agent = Files.copy(TestJars.AGENT, Files.createDirectories(dir.resolve("tools=1")).resolve("jlivepatch-agent.jar"));
        String before = Files.readString(serviceErr);
        CliProcess load = CliProcess.launched(List.of("-jar", agent.toString()), "load", service.pid(),
                TestJars.greeterFixJar(dir));
        assertEquals(1, load.exitCode(), load.toString());
        assertTrue(load.err().contains("jlivepatch could not be loaded into pid " + service.pid() + ": the agent JAR's"
                + " path " + agent + " has '=', where a JVM ends the path of an agent it is to load (what follows would"
                + " be the agent's options): copy or link jlivepatch-agent.jar to a path without '=' and run that one,"
                + " or name it with -Djlivepatch.agent.jar=<path>; nothing was loaded"), load.toString());
        assertEquals(before, Files.readString(serviceErr), "nothing said in the application's standard error");
        unchanged(service);

        // what to do works: the same JAR named through a link without '='
        Path link = Files.createSymbolicLink(dir.resolve("jlivepatch-agent.jar"), agent);
        try (ServiceProcess target = new ServiceProcess()) {
            CliProcess linked = CliProcess.launched(List.of("-Djlivepatch.agent.jar=" + link, "-jar", agent.toString()),
                    "load", target.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, linked.exitCode(), linked.toString());
            assertEquals(ServiceProcess.GREET_FIXED, target.call(), "the patch runs");
        }
    }

    /**
     * A JVM whose file system is not the command's (a container's; here a mount namespace where the
     * directory of the command's JAR is empty) finds no file at the path the attach names: the JVM
     * refused it, which the command reported as a JVM refusing agents (to be started with
     * -XX:+EnableDynamicAgentLoading), and the JVM wrote its own error into the application's standard error.
     */
    @Test
    void aJvmWhoseFileSystemHasNoAgentJarAtItsPathIsRefusedSayingWhereToPutIt() throws Exception {
        assumeTrue(mountNamespaces(), "a mount namespace of its own: unshare --mount and a tmpfs mount in it");
        Path cli = Files.createDirectories(dir.resolve("cli"));
        Path agent = Files.copy(TestJars.AGENT, cli.resolve("jlivepatch-agent.jar"));
        Path err = dir.resolve("contained-stderr.txt");
        try (ServiceProcess contained = ServiceProcess.hiding(cli, ProcessBuilder.Redirect.to(err.toFile()))) {
            assertTrue(Files.exists(agent) && !Files.exists(Path.of("/proc", Long.toString(contained.pid()), "root")
                    .resolve(agent.toString().substring(1))), "its file system has no " + agent);
            String before = Files.readString(err);
            CliProcess load = CliProcess.launched(List.of("-jar", agent.toString()), "load", contained.pid(),
                    TestJars.greeterFixJar(dir));
            assertEquals(1, load.exitCode(), load.toString());
            assertTrue(load.err().contains("jlivepatch could not be loaded into pid " + contained.pid() + ": the JVM has"
                    + " no file " + agent + ", the path it is to load the agent from (its file system is not this"
                    + " command's: a container's, say): copy jlivepatch-agent.jar to that path in its file system, or"
                    + " start the JVM with -javaagent:jlivepatch-agent.jar; nothing was loaded"), load.toString());
            assertEquals(before, Files.readString(err), "nothing said in the application's standard error");
            unchanged(contained);
        }
    }

    /**
     * The same JVM, started with the agent, after its control socket was deleted: the command asks
     * jlivepatch to open it again by attaching the agent from its own path, which the JVM refused in
     * its application's standard error, and the command said "the JVM refused the attach that asks for
     * it: Agent JAR not found or no Agent-Class attribute".
     */
    @Test
    void aLostSocketOfAJvmWithoutTheCommandsJarIsNotAskedForWithAPathItHasNoFileAt() throws Exception {
        assumeTrue(mountNamespaces(), "a mount namespace of its own: unshare --mount and a tmpfs mount in it");
        Path cli = Files.createDirectories(dir.resolve("cli"));
        Path agent = Files.copy(TestJars.AGENT, cli.resolve("jlivepatch-agent.jar"));
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path err = dir.resolve("contained-stderr.txt");
        try (ServiceProcess contained = ServiceProcess.hiding(cli, ProcessBuilder.Redirect.to(err.toFile()),
                "-Djava.io.tmpdir=" + tmp, "-javaagent:" + TestJars.AGENT)) {
            assertEquals("installed", contained.awaitAgent());
            List<Path> sockets;
            try (java.util.stream.Stream<Path> files = Files.walk(tmp)) {
                sockets = files.filter(f -> f.getFileName().toString().endsWith(".sock")).toList();
            }
            assertEquals(1, sockets.size(), sockets.toString());
            Files.delete(sockets.get(0));
            String before = Files.readString(err);
            CliProcess status = CliProcess.launched(List.of("-jar", agent.toString()), "status", contained.pid());
            assertEquals(1, status.exitCode(), status.toString());
            assertTrue(status.err().contains("the socket is gone and jlivepatch did not open it again (the JVM has no file "
                    + agent + ", the path it is to load the agent from (its file system is not this command's: a"
                    + " container's, say); copy jlivepatch-agent.jar to that path in its file system, and the next"
                    + " command has it open the socket again)"), status.toString());
            assertEquals(before, Files.readString(err), "nothing said in the application's standard error");
            assertEquals(ORIGINAL, contained.call());
            Cli reopened = Cli.run("status", contained.pid()); // from the JAR the JVM has: opened again
            assertEquals(0, reopened.exitCode(), reopened.toString());
            assertTrue(reopened.out().contains("no patches registered"), reopened.toString());
        }
    }

    /**
     * A JVM started with the agent, after its control socket was deleted, and a command run from a path
     * with '=': the command asked jlivepatch to open the socket again by attaching the agent from that
     * path, which the JVM cut at the '=' and refused in its application's standard error, and the
     * command said "the JVM refused the attach that asks for it: Agent JAR not found or no Agent-Class
     * attribute". Not asked: the command says why, and what to do.
     */
    @Test
    void aLostSocketIsNotAskedForWithAnAgentPathThatHasAnEqualsSign() throws Exception {
        Path agent = Files.copy(TestJars.AGENT, Files.createDirectories(dir.resolve("tools=1")).resolve("jlivepatch-agent.jar"));
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        Path err = dir.resolve("started-stderr.txt");
        try (ServiceProcess started = new ServiceProcess(ProcessBuilder.Redirect.to(err.toFile()),
                "-Djava.io.tmpdir=" + tmp, "-javaagent:" + TestJars.AGENT)) {
            assertEquals("installed", started.awaitAgent());
            List<Path> sockets;
            try (java.util.stream.Stream<Path> files = Files.walk(tmp)) {
                sockets = files.filter(f -> f.getFileName().toString().endsWith(".sock")).toList();
            }
            assertEquals(1, sockets.size(), sockets.toString());
            Files.delete(sockets.get(0));
            String before = Files.readString(err);
            CliProcess status = CliProcess.launched(List.of("-jar", agent.toString()), "status", started.pid());
            assertEquals(1, status.exitCode(), status.toString());
            assertTrue(status.err().contains("the socket is gone and jlivepatch did not open it again (the agent JAR's path "
                    + agent + " has '=', where a JVM ends the path of an agent it is to load (what follows would be the"
                    + " agent's options): copy or link jlivepatch-agent.jar to a path without '=' and run that one, or name"
                    + " it with -Djlivepatch.agent.jar=<path>, and the next command has it open the socket again)"),
                    status.toString());
            assertEquals(before, Files.readString(err), "nothing said in the application's standard error");
            Cli reopened = Cli.run("status", started.pid()); // from a path without '=': opened again
            assertEquals(0, reopened.exitCode(), reopened.toString());
            assertTrue(reopened.out().contains("no patches registered"), reopened.toString());
        }
    }

    /** {@code jar}'s entries as files under {@code to}. */
    static Path unpack(Path jar, Path to) throws IOException {
        try (JarInputStream in = new JarInputStream(Files.newInputStream(jar))) {
            for (JarEntry e = in.getNextJarEntry(); e != null; e = in.getNextJarEntry()) {
                Path file = to.resolve(e.getName()).normalize();
                assertTrue(file.startsWith(to), e.getName());
                if (e.isDirectory()) {
                    Files.createDirectories(file);
                } else {
                    Files.createDirectories(file.getParent());
                    Files.copy(in, file);
                }
            }
        }
        return to;
    }

    /** The soft and hard limits of open files of {@code pid}, as its /proc/pid/limits says. */
    private static long[] openFiles(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "limits"))) {
            if (line.startsWith("Max open files")) {
                String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])};
            }
        }
        throw new AssertionError("no 'Max open files' in /proc/" + pid + "/limits");
    }

    /**
     * Whether this machine lets the test make what ServiceProcess.hiding makes: a mount namespace with a tmpfs
     * mounted in it (root, or a container with the capability); the tool's presence alone does not say.
     */
    private static boolean mountNamespaces() throws IOException, InterruptedException {
        return run("unshare", "--mount", "--propagation", "private", "bash", "-c", "mount -t tmpfs tmpfs /mnt") == 0;
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException notInstalled) {
            return -1;
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " hangs");
        }
        return p.exitValue();
    }
}
