package io.jlivepatch.agent;

import com.sun.tools.attach.VirtualMachine;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.jlivepatch.agent.ServiceProcess.GREET_FIXED;
import static io.jlivepatch.agent.ServiceProcess.ORIGINAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Provenance and audit in a JVM of their own: {@code audit=<file>} appends one JSON line per
 * operation to an owner-only file that outlives the JVM, a file that cannot be written leaves every
 * operation working and shows in status, and a JFR recording started with {@code jcmd} holds the
 * {@code io.jlivepatch.PatchOperation} and {@code io.jlivepatch.Transition} events.
 */
class AuditIT {

    /** A JSON string with no raw control character in it. */
    private static final String S = "\"(?:[^\"\\\\\\x00-\\x1f\\x7f]|\\\\.)*\"";
    private static final Pattern LINE = Pattern.compile("\\{\"time\":" + S + ",\"operation\":" + S + ",\"patch\":" + S
            + ",\"outcome\":" + S + ",\"requester\":" + S + ",\"source\":" + S + ",\"sha256\":" + S + ",\"signer\":" + S
            + "\\}");

    @TempDir
    Path dir;

    @Test
    void everyOperationIsOneJsonLineOfAnOwnerOnlyFileThatTheNextRunAppendsTo() throws Exception {
        Path audit = dir.resolve("audit.jsonl");
        Path jar = TestJars.greeterFixJar(dir);
        List<String> first;
        try (ServiceProcess service = new ServiceProcess(agent("audit=" + audit))) {
            for (Object[] command : List.of(new Object[] {"load", service.pid(), jar},
                    new Object[] {"disable", service.pid(), "fix-greet"}, new Object[] {"enable", service.pid(), "fix-greet"},
                    new Object[] {"unload", service.pid(), "fix-greet"})) {
                Cli c = Cli.run(command);
                assertEquals(0, c.exitCode(), c.toString());
            }
            assertEquals(ORIGINAL, service.call());
            first = Files.readAllLines(audit);
            assertMatchesTheLog(first, logOf(service));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(audit)));

            String load = first.get(0);
            assertEquals(List.of("load", "fix-greet", "ok (registered, enabled)", jar.toString(), sha256(jar), ""),
                    List.of(field(load, "operation"), field(load, "patch"), field(load, "outcome"), field(load, "source"),
                            field(load, "sha256"), field(load, "signer")), load);
            assertFalse(field(load, "requester").isEmpty(), load);

            Cli status = Cli.run("status", service.pid());
            assertTrue(status.out().contains("\n  audit file: " + audit + "\n"), status.toString());
            Cli json = Cli.run("status", service.pid(), "--json");
            assertTrue(json.out().contains("\"audit\":{\"file\":\"" + audit + "\",\"problem\":null,\"notWritten\":0}"), json.toString());
        }
        try (ServiceProcess again = new ServiceProcess(agent("audit=" + audit))) {
            Cli load = Cli.run("load", again.pid(), jar);
            assertEquals(0, load.exitCode(), load.toString());
            List<String> second = Files.readAllLines(audit);
            assertEquals(first, second.subList(0, first.size()), "appended to, never truncated");
            assertMatchesTheLog(second.subList(first.size(), second.size()), logOf(again));
        }
    }

    @Test
    void anAttachNamingAnotherAuditFileCannotRedirectTheTrail() throws Exception {
        Path audit = dir.resolve("audit.jsonl");
        Path other = dir.resolve("other.jsonl");
        try (ServiceProcess service = new ServiceProcess(agent("audit=" + audit))) {
            VirtualMachine vm = VirtualMachine.attach(Long.toString(service.pid()));
            try {
                vm.loadAgent(TestJars.AGENT.toString(), "audit=" + other); // logged as a warning in the target
            } finally {
                vm.detach();
            }
            assertEquals(0, Cli.run("load", service.pid(), TestJars.greeterFixJar(dir)).exitCode());
            assertFalse(Files.exists(other), "the second file was not even created");
            assertMatchesTheLog(Files.readAllLines(audit), logOf(service));
            assertTrue(Cli.run("status", service.pid()).out().contains("\n  audit file: " + audit + "\n"));
        }
    }

    @Test
    void anAuditFileThatCannotBeWrittenLeavesOperationsWorkingAndShowsInStatusUntilItCanBe() throws Exception {
        Path later = dir.resolve("later");
        Path audit = later.resolve("audit.jsonl");
        try (ServiceProcess service = new ServiceProcess(agent("audit=" + audit))) {
            Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, load.exitCode(), load.toString());
            assertEquals(GREET_FIXED, service.call());

            String problem = "cannot write " + audit + ": its directory does not exist (";
            Cli status = Cli.run("status", service.pid());
            assertTrue(status.out().contains("\n  audit file: " + audit + ", problem: " + problem), status.toString());
            assertTrue(status.out().contains("not written to it, see 'status --log'); "), status.toString());
            Cli json = Cli.run("status", service.pid(), "--json");
            assertTrue(json.out().contains("\"audit\":{\"file\":\"" + audit + "\",\"problem\":\"" + problem), json.toString());
            assertTrue(Cli.run("status", service.pid(), "--log").out().contains(" load fix-greet by "),
                    "the record is in memory");

            Files.createDirectories(later);
            Cli disable = Cli.run("disable", service.pid(), "fix-greet");
            assertEquals(0, disable.exitCode(), disable.toString());
            assertEquals(ORIGINAL, service.call());
            Cli after = Cli.run("status", service.pid(), "--json");
            // the load and its transition's end were not written: not forgotten once writing works
            assertTrue(after.out().contains("\"audit\":{\"file\":\"" + audit + "\",\"problem\":null,\"notWritten\":2}"),
                    after.toString());
            assertTrue(Cli.run("status", service.pid()).out().contains("\n  audit file: " + audit + "; 2 records not"
                    + " written to it since it was opened, the last at "));
            List<String> lines = Files.readAllLines(audit);
            assertEquals(3, lines.size(), lines.toString());
            assertEquals("audit-gap", field(lines.get(0), "operation"));
            assertTrue(field(lines.get(0), "outcome").startsWith("2 records were not written to this file since "),
                    lines.get(0));
            assertEquals("disable", field(lines.get(1), "operation"));
            assertEquals("transition", field(lines.get(2), "operation"));
            assertEquals("ok (unpatching complete)", field(lines.get(2), "outcome"));
        }
    }

    /**
     * A file that reaches the process's file size limit (RLIMIT_FSIZE, {@code ulimit -f}: the write fails with
     * {@code EFBIG} after writing what fits, as a full disk's does) in the middle of a line: the operation goes on,
     * status says why records are not written, and once the limit is raised the file goes on whole: the cut line
     * is ended first, a gap line counts the records not written since the first of them, and every line after it
     * is one JSON record. A rotation then starts a new file at the path, which the records go on in.
     */
    @Test
    void aFileAtTheProcesssFileSizeLimitCutsALineAndGoesOnWholeOnceTheLimitIsRaised() throws Exception {
        long limitKib = 4096;
        Path audit = dir.resolve("audit.jsonl");
        // What a previous run wrote, up to 100 bytes short of the limit: the first record's line does not fit.
        byte[] before = new byte[(int) (limitKib * 1024 - 100)];
        java.util.Arrays.fill(before, (byte) 'x');
        before[before.length - 1] = '\n';
        Files.write(audit, before);
        Files.setPosixFilePermissions(audit, PosixFilePermissions.fromString("rw-------"));
        Path jar = TestJars.greeterFixJar(dir);
        try (ServiceProcess service = ServiceProcess.withFileSizeLimit(limitKib, agent("audit=" + audit))) {
            Cli load = Cli.run("load", service.pid(), jar);
            assertEquals(0, load.exitCode(), load.toString());
            assertEquals(GREET_FIXED, service.call());
            assertEquals(limitKib * 1024, Files.size(audit), "written up to the limit");
            Cli status = Cli.run("status", service.pid());
            assertTrue(status.out().contains("\n  audit file: " + audit + ", problem: cannot write " + audit
                    + ": File too large"), status.toString());

            Process raise = new ProcessBuilder("prlimit", "--pid", Long.toString(service.pid()), "--fsize=unlimited:")
                    .inheritIO().start();
            assertTrue(raise.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, raise.exitValue());
            Cli disable = Cli.run("disable", service.pid(), "fix-greet");
            assertEquals(0, disable.exitCode(), disable.toString());
            assertEquals(ORIGINAL, service.call());

            byte[] all = Files.readAllBytes(audit);
            assertTrue(java.util.Arrays.equals(before, java.util.Arrays.copyOf(all, before.length)),
                    "what was there stays");
            List<String> after = new String(all, before.length, all.length - before.length, StandardCharsets.UTF_8)
                    .lines().toList();
            // The load's line as far as it fitted, ended by a line break: not glued to the next record.
            assertEquals(100, after.get(0).length(), after.toString());
            assertTrue(after.get(0).startsWith("{\"time\":\""), after.get(0));
            List<String> whole = after.subList(1, after.size());
            assertEquals(List.of("audit-gap", "disable", "transition"),
                    whole.stream().map(l -> field(l, "operation")).toList(), String.join("\n", whole));
            for (String line : whole) {
                assertTrue(LINE.matcher(line).matches(), "not one JSON record: " + line);
            }
            // the load and its transition's end
            assertTrue(field(whole.get(0), "outcome").startsWith("2 records were not written to this file since "),
                    whole.get(0));
            Cli json = Cli.run("status", service.pid(), "--json");
            assertTrue(json.out().contains("\"audit\":{\"file\":\"" + audit + "\",\"problem\":null,\"notWritten\":2}"),
                    json.toString());

            Path rotated = dir.resolve("audit.jsonl.1");
            Files.move(audit, rotated);
            Cli enable = Cli.run("enable", service.pid(), "fix-greet");
            assertEquals(0, enable.exitCode(), enable.toString());
            List<String> next = Files.readAllLines(audit);
            assertEquals(List.of("enable", "transition"), next.stream().map(l -> field(l, "operation")).toList(),
                    String.join("\n", next));
            assertEquals(all.length, Files.size(rotated), "nothing more in the rotated file");
        }
    }

    /**
     * A JVM that exits while its audit file is full (at the process's file size limit) says on standard error, as it
     * exits, what the file lacks with no gap line to note it: the last chance, as no status is left to show it and
     * the writer's warning went through java.util.logging once. Before, the exit said nothing of lines whose write
     * failed, only of lines not written in time.
     */
    @Test
    void aJvmThatExitsWithItsAuditFileFullSaysWhatTheFileLacks() throws Exception {
        long limitKib = 4096;
        Path audit = dir.resolve("audit.jsonl");
        byte[] full = new byte[(int) (limitKib * 1024)];
        java.util.Arrays.fill(full, (byte) 'x');
        full[full.length - 1] = '\n';
        Files.write(audit, full);
        Files.setPosixFilePermissions(audit, PosixFilePermissions.fromString("rw-------"));
        Path jar = TestJars.greeterFixJar(dir);
        ServiceProcess service = ServiceProcess.withFileSizeLimit(limitKib, ProcessBuilder.Redirect.PIPE,
                agent("audit=" + audit));
        java.util.concurrent.CompletableFuture<String> stderr = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(service.stderr().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        try (service) {
            Cli load = Cli.run("load", service.pid(), jar);
            assertEquals(0, load.exitCode(), load.toString());
            assertEquals(GREET_FIXED, service.call());
        }
        String err = stderr.get(60, TimeUnit.SECONDS);
        assertEquals(full.length, Files.size(audit));
        // the load and its transition's end
        assertTrue(err.matches("(?s).*WARNING: audit file: " + Pattern.quote(audit.toString()) + " lacks 2 records since"
                + " \\S+, with no gap line: they were not written to it \\(cannot write " + Pattern.quote(audit.toString())
                + ": File too large\\), and the JVM exits\n.*"), err);
    }

    @Test
    void aStartUpPatchDirectoryThatCannotBeReadIsOnRecord() throws Exception {
        Path audit = dir.resolve("audit.jsonl");
        Path patches = dir.resolve("patches-not-mounted");
        try (ServiceProcess service = new ServiceProcess(agent("audit=" + audit + ",patches=" + patches))) {
            assertEquals(ORIGINAL, service.call());
            // None of the patches the operator asked for runs: the trail says so, not only the log.
            List<String> lines = Files.readAllLines(audit);
            assertEquals(1, lines.size(), lines.toString());
            assertEquals(List.of("load", patches.toString(), "startup"), List.of(field(lines.get(0), "operation"),
                    field(lines.get(0), "patch"), field(lines.get(0), "requester")), lines.get(0));
            assertTrue(field(lines.get(0), "outcome").startsWith("refused INVALID_ARGUMENT: patch directory " + patches
                    + " cannot be read ("), lines.get(0));
            assertTrue(field(lines.get(0), "outcome").endsWith("); no patch loaded at start-up: check patches=<dir>"),
                    lines.get(0));
            assertMatchesTheLog(lines, logOf(service));
        }
    }

    /**
     * A watch the agent's arguments start is on record with who asked for it, before the loads of its first
     * reconcile (which are the watch's), as a watch the command or JMX starts is: the trail said 'load
     * fix-greet by watch' and never who had made the watch.
     */
    @Test
    void aWatchStartedByTheAgentsArgumentsIsOnRecordWithWhoAskedBeforeItsLoads() throws Exception {
        Path audit = dir.resolve("audit.jsonl");
        Path patches = Files.createDirectories(dir.resolve("patches"));
        TestJars.greeterFixJar(patches);
        try (ServiceProcess service = new ServiceProcess(agent("audit=" + audit + ",patches=" + patches
                + ",watch=true,interval=3600,timeout=20"))) {
            assertEquals(GREET_FIXED, service.call(), "the first reconcile runs before main");
            List<String> lines = Files.readAllLines(audit);
            assertMatchesTheLog(lines, logOf(service));
            assertTrue(lines.size() >= 2, lines.toString());
            assertEquals(List.of("watch", patches.toString(), "ok (interval 3600 s, timeout 20 s)", "startup"),
                    List.of(field(lines.get(0), "operation"), field(lines.get(0), "patch"), field(lines.get(0), "outcome"),
                            field(lines.get(0), "requester")), lines.get(0));
            assertEquals(List.of("load", "fix-greet", "ok (registered, enabled)", "watch"),
                    List.of(field(lines.get(1), "operation"), field(lines.get(1), "patch"), field(lines.get(1), "outcome"),
                            field(lines.get(1), "requester")), lines.get(1));
        }
    }

    @Test
    void aSymbolicLinkIsNotFollowedAndStatusSaysWhy() throws Exception {
        Path target = Files.writeString(dir.resolve("elsewhere.txt"), "not an audit file\n");
        Path link = Files.createSymbolicLink(dir.resolve("audit.jsonl"), target);
        try (ServiceProcess service = new ServiceProcess(agent("audit=" + link))) {
            Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, load.exitCode(), load.toString());
            Cli status = Cli.run("status", service.pid());
            assertTrue(status.out().contains("audit file: " + link + ", problem: cannot write " + link
                    + ": it is a symbolic link, which jlivepatch does not follow for its audit file: name the file itself"),
                    status.toString());
        }
        assertEquals("not an audit file\n", Files.readString(target));
    }

    @Test
    void aPathWithLineBreaksAndControlCharactersStaysInsideItsLine() throws Exception {
        Path audit = dir.resolve("audit.jsonl");
        String hostile = "fix\n{\"time\":\"forged\"}\r\u001b[2J\u0085\u2028\u202e.jar";
        Path jar = Files.copy(TestJars.greeterFixJar(dir), dir.resolve(hostile));
        try (ServiceProcess service = new ServiceProcess(agent("audit=" + audit))) {
            assertEquals(0, Cli.run("load", service.pid(), jar).exitCode());
            assertEquals(0, Cli.run("unload", service.pid(), "fix-greet").exitCode());
            String content = Files.readString(audit, StandardCharsets.UTF_8);
            for (char c : new char[] {'\r', '\u001b', '\u0085', '\u2028', '\u202e'}) {
                assertFalse(content.indexOf(c) >= 0, "raw U+" + Integer.toHexString(c) + " in " + content);
            }
            List<String> lines = Files.readAllLines(audit);
            assertMatchesTheLog(lines, logOf(service));
            assertEquals(dir + "/fix\\n{\\\"time\\\":\\\"forged\\\"}\\r\\u001b[2J\\u0085\\u2028\\u202e.jar",
                    rawField(lines.get(0), "source"));
        }
    }

    @Test
    void operationsAndTransitionsAreJfrEventsInARecordingStartedWithJcmd() throws Exception {
        Path recording = dir.resolve("jlivepatch.jfr");
        Path greet = TestJars.greeterFixJar(dir);
        try (ServiceProcess service = new ServiceProcess()) {
            // Before any recording: jlivepatch loads no event class, and later events still appear.
            assertEquals(0, Cli.run("load", service.pid(), TestJars.shoutFixJar(dir)).exitCode());
            jcmd(service.pid(), "JFR.start", "name=audit-it");

            assertEquals(0, Cli.run("load", service.pid(), greet).exitCode());
            service.hold();
            Cli hold = Cli.run("load", "--wait", "1", service.pid(), TestJars.holdFixJar(dir));
            assertTrue(hold.exitCode() == 0 || hold.exitCode() == 3, hold.toString()); // left in transition
            assertTrue(Cli.run("status", service.pid()).out().contains("fix-hold [enabled, in transition]"));
            Cli reverse = Cli.run("disable", service.pid(), "fix-hold");
            assertEquals(0, reverse.exitCode(), reverse.toString());
            Cli enable = Cli.run("enable", "--wait", "1", service.pid(), "fix-hold");
            assertTrue(enable.exitCode() == 0 || enable.exitCode() == 3, enable.toString());
            assertEquals(0, Cli.run("force", service.pid(), "fix-hold").exitCode());
            service.release();
            for (String patch : new String[] {"fix-hold", "fix-greet", "fix-shout"}) {
                Cli unload = Cli.run("unload", service.pid(), patch);
                assertEquals(0, unload.exitCode(), unload.toString());
            }
            jcmd(service.pid(), "JFR.dump", "name=audit-it", "filename=" + recording);
        }
        List<String> operations = new ArrayList<>();
        List<RecordedEvent> transitionEvents = new ArrayList<>();
        RecordedEvent greetLoad = null;
        for (RecordedEvent e : RecordingFile.readAllEvents(recording)) {
            String type = e.getEventType().getName();
            if (type.equals("io.jlivepatch.PatchOperation")) {
                operations.add(e.getString("operation") + " " + e.getString("patch") + ": " + e.getString("outcome"));
                if (e.getString("operation").equals("load") && e.getString("patch").equals("fix-greet")) {
                    greetLoad = e;
                }
            } else if (type.equals("io.jlivepatch.Transition")) {
                transitionEvents.add(e);
                assertFalse(e.getDuration().isNegative(), e.toString());
            }
        }
        // A recording keeps each thread's events in buffers of their own: the file's order is not the
        // order the transitions ended in (they end on the caller's or the worker's thread). By end time:
        transitionEvents.sort(java.util.Comparator.comparing(RecordedEvent::getEndTime));
        List<String> transitions = new ArrayList<>();
        for (RecordedEvent e : transitionEvents) {
            transitions.add(e.getString("patch") + " " + e.getString("target") + " " + e.getString("outcome"));
        }
        assertFalse(operations.contains("load fix-shout: ok (registered, enabled)"), "recorded before the recording: "
                + operations);
        assertTrue(operations.containsAll(List.of("load fix-greet: ok (registered, enabled)",
                "disable fix-hold: ok (transition reversed)", "force fix-hold: ok", "unregister fix-shout: ok")),
                operations.toString());
        assertTrue(greetLoad != null, operations.toString());
        assertEquals(greet.toString(), greetLoad.getString("source"));
        assertEquals(sha256(greet), greetLoad.getString("sha256"));
        assertEquals("", greetLoad.getString("signer"));
        assertFalse(greetLoad.getString("requester").isEmpty());
        assertEquals(List.of("fix-greet patched complete", "fix-hold patched reversed", "fix-hold unpatched complete",
                "fix-hold patched forced", "fix-hold unpatched complete", "fix-greet unpatched complete",
                "fix-shout unpatched complete"), transitions);
    }

    @Test
    void aRuntimeWithoutJdkJfrAndJdkSecurityAuthPatchesAndAuditsAllTheSame() throws Exception {
        Path audit = dir.resolve("audit.jsonl");
        // What a jlinked image may leave out: the flight recorder, and the module that tells the JVM's uid.
        try (ServiceProcess service = new ServiceProcess("--limit-modules",
                "java.base,java.instrument,java.logging,java.management,jdk.management.agent", agent("audit=" + audit))) {
            Cli load = Cli.run("load", service.pid(), TestJars.greeterFixJar(dir));
            assertEquals(0, load.exitCode(), load.toString());
            assertEquals(GREET_FIXED, service.call());
            Cli unload = Cli.run("unload", service.pid(), "fix-greet");
            assertEquals(0, unload.exitCode(), unload.toString());
            assertEquals(ORIGINAL, service.call());
            assertMatchesTheLog(Files.readAllLines(audit), logOf(service));
            assertTrue(Cli.run("status", service.pid(), "--json").out().contains(",\"problem\":null,\"notWritten\":0}"));
        }
    }

    private static String agent(String options) {
        return "-javaagent:" + TestJars.AGENT + "=" + options;
    }

    /** The entries of {@code status --log}, oldest first. */
    private static List<String> logOf(ServiceProcess service) {
        Cli log = Cli.run("status", service.pid(), "--log");
        assertEquals(0, log.exitCode(), log.toString());
        String out = log.out();
        List<String> entries = new ArrayList<>();
        for (String line : out.substring(out.indexOf("\nlog:\n") + 6).split("\n")) {
            if (line.startsWith("  ")) {
                entries.add(line.substring(2));
            }
        }
        return entries;
    }

    /** One well-formed line per log entry, in the same order, for the same operation and patch. */
    private static void assertMatchesTheLog(List<String> lines, List<String> log) {
        assertEquals(log.size(), lines.size(), "file:\n" + String.join("\n", lines) + "\nlog:\n" + String.join("\n", log));
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            assertTrue(LINE.matcher(line).matches(), "not one JSON record: " + line);
            String[] entry = log.get(i).split(" ", 4);
            assertEquals(entry[1], field(line, "operation"), line + " / " + log.get(i));
            assertTrue(log.get(i).contains(" by " + field(line, "requester").replace("\n", "\\n") + ": "),
                    line + " / " + log.get(i));
        }
    }

    /** A string field's value, its simple escapes undone (enough for these tests' values). */
    private static String field(String line, String name) {
        return rawField(line, name).replace("\\\"", "\"").replace("\\n", "\n").replace("\\\\", "\\");
    }

    /** A string field's value as written, escapes included. */
    private static String rawField(String line, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(line);
        assertTrue(m.find(), name + " not in " + line);
        return m.group(1);
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    private static void jcmd(long pid, String... command) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid)));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "jcmd did not end: " + cmd); // a hang detector
        assertEquals(0, p.exitValue(), cmd + ": " + out);
        assertFalse(out.contains("Could not") || out.contains("Exception"), cmd + ": " + out);
    }
}
