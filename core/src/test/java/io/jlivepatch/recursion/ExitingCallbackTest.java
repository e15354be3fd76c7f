package io.jlivepatch.recursion;

import com.acme.tripwire.ExitingCallbackDriver;
import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JVM's exit in the middle of an operation, or of a transition, is on record. A patch callback
 * that calls {@code System.exit} ends the JVM with its status, at once: the operation holds
 * jlivepatch's lock while the exit runs the shutdown hooks, and none of jlivepatch's (the audit file's
 * drain, the control socket's close) waits for it. The audit file keeps what was done before, and a
 * line for the operation the exit cut short, which says how far it got (README, "Known limits");
 * before, that line was missing, and so were the records the operation kept for after it (a transition's
 * end), though an enable whose postPatch exits had taken effect. So for an exit from another thread
 * while an operation runs, or while a transition waits for a thread. The hang bound is a detector only:
 * the JVM ends within a second or two.
 */
class ExitingCallbackTest {

    private static final String TARGET = "com.acme.tripwire.ExitingCallbackDriver";
    private static final String CUT_SHORT = "cut short: the JVM exited during it (";

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"prePatch", "postPatch", "preUnpatch", "postUnpatch"})
    void aCallbackThatExitsEndsTheJvmWithItsStatusAndItsOperationIsOnRecord(String callback) throws Exception {
        List<String> expected = new ArrayList<>(List.of("register|ok|api"));
        switch (callback) {
            case "prePatch" -> expected.add("enable|" + CUT_SHORT + "it had not taken effect; its prePatch callback"
                    + " for " + TARGET + " was running)|api");
            // The transition's end ("ok (patching complete)") follows its closing callbacks, as the kernel's
            // "patching complete" does: one that exits leaves the operation's cut-short line as the record.
            case "postPatch" -> expected.add("enable|" + CUT_SHORT + "it had taken effect, patching complete; its"
                    + " postPatch callback for " + TARGET + " was running)|api");
            case "preUnpatch" -> {
                enabled(expected);
                expected.add("disable|" + CUT_SHORT + "it had not taken effect; its preUnpatch callback for " + TARGET
                        + " was running)|api");
            }
            default -> {
                enabled(expected);
                expected.add("disable|" + CUT_SHORT + "it had taken effect, unpatching complete; its postUnpatch"
                        + " callback for " + TARGET + " was running)|api");
            }
        }
        assertEquals(expected, recordsOfAnExit(callback));
    }

    /** The enable and its transition's end, as they are before a disable. */
    private static void enabled(List<String> expected) {
        expected.add("enable|ok|api");
        expected.add("transition|ok (patching complete)|api");
    }

    /** A load (register and enable in one step) whose prePatch another thread's exit came in the middle of. */
    @Test
    void aLoadUnderWayWhenAnotherThreadExitsIsOnRecordWithItsRequester() throws Exception {
        assertEquals(List.of("load|" + CUT_SHORT + "it had not taken effect; its prePatch callback for " + TARGET
                + " was running)|pid 4242 user alice"), recordsOfAnExit("load-elsewhere"));
    }

    @Test
    void aDisableUnderWayWhenAnotherThreadExitsIsOnRecord() throws Exception {
        assertEquals(List.of("register|ok|api", "enable|ok|api", "transition|ok (patching complete)|api",
                "disable|" + CUT_SHORT + "it had not taken effect; its preUnpatch callback for " + TARGET
                        + " was running)|pid 4242 user alice"), recordsOfAnExit("disable-elsewhere"));
    }

    /**
     * A force whose transition's end (its postPatch) another thread's exit came in the middle of: in effect, its
     * line says so; the transition's end, which follows its closing callbacks, never came.
     */
    @Test
    void aForceUnderWayWhenAnotherThreadExitsIsOnRecordWithTheTransitionsEnd() throws Exception {
        assertEquals(List.of("register|ok|api", "enable|ok|api",
                "force|" + CUT_SHORT + "it had taken effect, patching complete, forced; its postPatch callback for "
                        + TARGET + " was running)|pid 4242 user alice"), recordsOfAnExit("force-elsewhere"));
    }

    /**
     * The JVM exits at the hand-over of a transition's end to the record (every thread moved, the hooks as the
     * target state needs, before the end's commit), inside the enable that ends it and on the worker: one line
     * says how far it got, the operation's; the transition's "in progress" line, which contradicted it, is not
     * written too. Before, the file said both "patching complete" and "patching in progress, not complete".
     */
    @Test
    void anExitAtTheHandOverOfATransitionsEndLeavesOneLineThatSaysHowFarItGot() throws Exception {
        assertEquals(List.of("register|ok|api", "enable|" + CUT_SHORT + "it had taken effect, patching complete)|api"),
                recordsOfAnExit("hand-over"));
        Files.delete(dir.resolve("audit.jsonl")); // the next JVM's file
        assertEquals(List.of("register|ok|api", "enable|ok|api",
                "transition|" + CUT_SHORT + "it had taken effect, patching complete)|jlivepatch (for api)"),
                recordsOfAnExit("hand-over-worker"));
    }

    /** An enable returned, its transition waiting for a thread inside the patched method, when the JVM exits. */
    @Test
    void aPatchingTransitionThatWaitsForAThreadWhenTheJvmExitsIsOnRecordAsCutShort() throws Exception {
        List<String> records = recordsOfAnExit("enable-waits");
        assertEquals(List.of("register|ok|api", "enable|ok|api"), records.subList(0, Math.min(2, records.size())),
                records.toString());
        assertEquals(3, records.size(), records.toString());
        assertHolderWaits(records.get(2), "patching", "");
    }

    /** An unload's disable returned, its transition waiting for a thread inside the replacement, when the JVM exits. */
    @Test
    void anUnpatchingTransitionThatWaitsForAThreadWhenTheJvmExitsIsOnRecordAsCutShort() throws Exception {
        List<String> records = recordsOfAnExit("unload-waits");
        List<String> before = List.of("register|ok|api", "enable|ok|api", "transition|ok (patching complete)|api",
                "disable|ok|api");
        assertEquals(before, records.subList(0, Math.min(4, records.size())), records.toString());
        assertEquals(5, records.size(), records.toString());
        // the holder blocks in the replacement, the patch's own code: the line says so (WaitingInsidePatchCodeTest)
        assertHolderWaits(records.get(4), "unpatching",
                ", inside the replacement " + TARGET + ".fixedGreet (patch 'exiting')");
    }

    /**
     * A transition the worker ends (the enable returned while a thread held it), whose postPatch exits: the
     * end is on record as cut short, naming the callback the exit cut short, in the place of its {@code ok},
     * which follows the closing callbacks (as the kernel's "patching complete"). Before, the file ended with
     * the end's {@code ok}, as if the transition's closing steps had all run.
     */
    @ParameterizedTest
    @ValueSource(strings = {"postPatch", "postUnpatch"})
    void aCallbackThatExitsAtTheEndOfATransitionTheWorkerEndsIsOnRecord(String callback) throws Exception {
        List<String> expected = new ArrayList<>(List.of("register|ok|api"));
        String target = callback.equals("postPatch") ? "patching" : "unpatching";
        if (target.equals("unpatching")) {
            enabled(expected);
            expected.add("disable|ok|api");
        } else {
            expected.add("enable|ok|api");
        }
        expected.add("transition|" + CUT_SHORT + "it had taken effect, " + target + " complete; its " + callback
                + " callback for " + TARGET + " was running)|jlivepatch (for api)");
        assertEquals(expected, recordsOfAnExit(callback + "-worker"));
    }

    /**
     * The same, the worker finding no memory to make the operation whose line stands for the end while the closing
     * callbacks run: the end's {@code ok} is on record, written before them (as before 2026-12-07), rather than
     * nothing. Before, the file ended with the enable's (the disable's) line: no record of the end at all.
     */
    @ParameterizedTest
    @ValueSource(strings = {"postPatch", "postUnpatch"})
    void aCallbackThatExitsAtAWorkersEndWithNoMemoryForItsOperationLeavesTheEndOnRecord(String callback)
            throws Exception {
        List<String> expected = new ArrayList<>(List.of("register|ok|api"));
        String target = callback.equals("postPatch") ? "patching" : "unpatching";
        if (target.equals("unpatching")) {
            enabled(expected);
            expected.add("disable|ok|api");
        } else {
            expected.add("enable|ok|api");
        }
        expected.add("transition|ok (" + target + " complete)|jlivepatch (for api)");
        assertEquals(expected, recordsOfAnExit(callback + "-worker-no-operation"));
    }

    /**
     * A command waiting for jlivepatch's lock (held by an enable whose prePatch waits) when the JVM exits:
     * on record as cut short before it took effect. Before, it was not on record at all.
     */
    @Test
    void aCommandWaitingForTheLockWhenTheJvmExitsIsOnRecordAsNothingChanged() throws Exception {
        assertEquals(List.of("register|ok|api",
                "enable|" + CUT_SHORT + "it had not taken effect; its prePatch callback for " + TARGET
                        + " was running)|pid 4242 user alice",
                "unregister|" + CUT_SHORT + "it had not taken effect, nothing changed; it was waiting for"
                        + " jlivepatch's lock)|pid 4343 user bob"), recordsOfAnExit("waits-for-lock"));
    }

    /**
     * A load preparing its JAR (read, before the lock) when the JVM exits: on record with the file and its
     * SHA-256, cut short before it took effect. Before, it was not on record at all.
     */
    @Test
    void aLoadPreparingItsJarWhenTheJvmExitsIsOnRecordAsNothingChanged() throws Exception {
        List<String> records = recordsOfAnExit("load-preparing");
        Path jar = dir.resolve("fix-preparing.jar");
        assertEquals(1, records.size(), records.toString());
        String line = records.get(0);
        assertTrue(line.contains("\"operation\":\"load\",\"patch\":" + io.jlivepatch.internal.control.Json.string(
                jar.toString()) + ",\"outcome\":\"" + CUT_SHORT + "it had not taken effect, nothing changed; its"
                + " patch JAR was being read and checked)\",\"requester\":\"pid 4242 user alice\",\"source\":"
                + io.jlivepatch.internal.control.Json.string(jar.toString()) + ",\"sha256\":\""
                + sha256(Files.readAllBytes(jar)) + "\""), line);
    }

    /**
     * A load preparing its JAR, from whose preparation another load is asked for in-process (and refused), when
     * the JVM exits: the exit's line names the load that was cut short, its JAR and SHA-256, not the inner one's,
     * which has its own line. Before, the inner load's read made the outer one's record name the inner JAR.
     */
    @Test
    void aLoadWhosePreparationAsksForAnotherWhenTheJvmExitsIsOnRecordAsItself() throws Exception {
        List<String> records = recordsOfAnExit("load-nested");
        Path jar = dir.resolve("fix-outer.jar");
        assertEquals(2, records.size(), records.toString());
        assertTrue(records.get(0).contains("\"operation\":\"load\",\"patch\":\"inner.jar\",\"outcome\":\"refused "),
                records.get(0));
        String line = records.get(1);
        assertTrue(line.contains("\"operation\":\"load\",\"patch\":" + io.jlivepatch.internal.control.Json.string(
                jar.toString()) + ",\"outcome\":\"" + CUT_SHORT + "it had not taken effect, nothing changed; its"
                + " patch JAR was being read and checked)\",\"requester\":\"api\",\"source\":"
                + io.jlivepatch.internal.control.Json.string(jar.toString()) + ",\"sha256\":\""
                + sha256(Files.readAllBytes(jar)) + "\""), line);
    }

    /**
     * A command's load whose patch JAR is still arriving over the control socket (its content comes first,
     * its path and digest after it) when the JVM exits: on record as cut short before it took effect, with
     * the length announced. Before, it was not on record at all.
     */
    @Test
    void aLoadWhoseJarIsStillArrivingOverTheControlSocketWhenTheJvmExitsIsOnRecordAsNothingChanged()
            throws Exception {
        List<String> records = recordsOfAnExit("receiving");
        assertEquals(1, records.size(), records.toString());
        String line = records.get(0);
        assertTrue(line.contains("\"operation\":\"load\",\"patch\":\"(sent content)\",\"outcome\":\"" + CUT_SHORT
                + "it had not taken effect, nothing changed; its patch JAR was being received, "
                + ExitingCallbackDriver.RECEIVING + " bytes announced)\",\"requester\":\"pid 4242 user "), line);
    }

    /**
     * An operation still in its stretch before jlivepatch's lock (here the first one's activation of the hooks,
     * which waits for a stretch of jlivepatch's code begun before it: in the API's entry, or in the operation's
     * own stretch for a caller that did not mark its thread) when the JVM exits: on record as cut short before
     * it took effect. Before, it was not on record at all.
     */
    @ParameterizedTest
    @ValueSource(strings = {"api", "sources"})
    void anOperationBeforeItsWaitForTheLockWhenTheJvmExitsIsOnRecordAsNothingChanged(String entry) throws Exception {
        assertEquals(List.of("register|" + CUT_SHORT + "it had not taken effect, nothing changed)|pid 4242 user alice"),
                recordsOfAnExit(io.jlivepatch.internal.patch.ActivationExitDriver.class, entry));
    }

    /**
     * The JVM's first operation running out of memory in the hooks' activation, its first step (the
     * failure comes out of the API's entry, nothing changed): it is over, so an exit later writes no
     * 'cut short' line for it; the same register again (another thread) works and is on record.
     * Before, the mark that activates was taken outside the entry's try: the operation stayed under way
     * for good, and the exit wrote it as cut short.
     */
    @Test
    void anOperationWhoseActivationRanOutOfMemoryIsNotCutShortAtALaterExit() throws Exception {
        assertEquals(List.of("register|ok|pid 4242 user alice"),
                recordsOfAnExit(io.jlivepatch.internal.patch.ActivationExitDriver.class, "oom"));
    }

    /**
     * A load through the MBean whose content, sent whole, is being checked (its digest) when the JVM exits:
     * on record as cut short before it took effect, naming the JAR the caller named. Before, it was not on
     * record at all: the load was under way only from the registry's load on.
     */
    @Test
    void aLoadThroughTheMBeanCheckingItsContentWhenTheJvmExitsIsOnRecordAsNothingChanged() throws Exception {
        List<String> records = recordsOfAnExit("jmx-checking");
        assertEquals(1, records.size(), records.toString());
        String line = records.get(0);
        assertTrue(line.contains("\"operation\":\"load\",\"patch\":\"sent.jar\",\"outcome\":\"" + CUT_SHORT
                + "it had not taken effect, nothing changed; its patch JAR was being read and checked)\","
                + "\"requester\":\"jmx\""), line);
    }

    /**
     * A load through the MBean refused outside the registry (its digest is not its content's) while the JVM
     * exits: its refusal is its line, and the exit adds none saying it was cut short. Before, the call's end
     * left it under way once the JVM exited (as a receive the exit's close ends), and the drain wrote
     * 'cut short ... nothing changed' after its refusal.
     */
    @Test
    void aLoadThroughTheMBeanRefusedWhileTheJvmExitsHasOnlyItsRefusalOnRecord() throws Exception {
        List<String> records = recordsOfAnExit("jmx-refused");
        assertEquals(1, records.size(), records.toString());
        String line = records.get(0);
        assertTrue(line.contains("\"operation\":\"load\",\"patch\":\"sent.jar\",\"outcome\":\"refused INVALID_PATCH")
                && line.contains("not the " + "0".repeat(64) + " the sender computed") && line.contains("\"requester\":\"jmx\""),
                line);
    }

    private static String sha256(byte[] bytes) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    /**
     * A patch of a class not loaded yet, enabled; the class's first call runs the patch's callbacks for it on
     * the application's thread, outside any operation, and one of them exits: on record as jlivepatch's
     * {@code link} of the patch, naming the class and its loader. Before, nothing was.
     */
    @ParameterizedTest
    @ValueSource(strings = {"prePatch", "postPatch"})
    void aCallbackOfAClassDefinedLaterThatExitsAtItsFirstCallIsOnRecord(String callback) throws Exception {
        List<String> records = recordsOfAnExit("late-" + callback);
        assertEquals(List.of("register|ok|api", "enable|ok|api", "transition|ok (patching complete)|api"),
                records.subList(0, Math.min(3, records.size())), records.toString());
        assertEquals(5, records.size(), records.toString());
        assertTrue(records.get(3).matches("link\\|ok \\(" + TARGET.replace(".", "\\.") + "\\$Late in class loader app@"
                + "\\p{XDigit}+, defined after the patch was enabled: hooked as it was defined\\)\\|jlivepatch"),
                records.toString());
        String prefix = "link|" + CUT_SHORT + (callback.equals("prePatch") ? "it had not taken effect"
                : "it had taken effect, patching complete") + "; its " + callback + " callback for " + TARGET
                + "$Late in class loader app@";
        String suffix = " was running)|jlivepatch";
        String line = records.get(4);
        assertTrue(line.startsWith(prefix) && line.endsWith(suffix), line);
    }

    /** Without an exit in the middle, the records are those of before: none cut short, none twice. */
    @Test
    void theRecordsOfOperationsThatEndBeforeTheExitAreAsBefore() throws Exception {
        Path audit = dir.resolve("audit.jsonl");
        ChildJvm.runOk(ExitingCallbackDriver.class, List.of(), List.of(audit.toString(), "normal"), 60);
        assertEquals(List.of("register|ok|api", "enable|ok|api", "transition|ok (patching complete)|api",
                "disable|ok|api", "transition|ok (unpatching complete)|api", "unregister|ok|api"), records(audit));
    }

    /**
     * The transition's line: cut short, on the account of whoever started it, naming the thread it waited for and,
     * after the method, {@code inside}: the patch's code that holds it, if any.
     */
    private static void assertHolderWaits(String record, String target, String inside) {
        String prefix = "transition|" + CUT_SHORT + target + " in progress, not complete: 1 thread had not moved,"
                + " thread 'holder' (id ";
        String suffix = ") in " + TARGET + ".greet" + inside + ")|jlivepatch (for api)";
        assertTrue(record.startsWith(prefix) && record.endsWith(suffix), record);
    }

    /** Runs the driver's {@code scenario}, which exits with status 3; the audit file's records. */
    private List<String> recordsOfAnExit(String scenario) throws Exception {
        return recordsOfAnExit(ExitingCallbackDriver.class, scenario);
    }

    /** Runs {@code driver}'s {@code scenario}, which exits with status 3; the audit file's records. */
    private List<String> recordsOfAnExit(Class<?> driver, String scenario) throws Exception {
        Path audit = dir.resolve("audit.jsonl");
        ChildJvm.Ended e = ChildJvm.run(driver, List.of(), List.of(audit.toString(), scenario), 60);
        assertEquals(3, e.exitCode(), e.tail());
        assertTrue(!e.output().contains("RESULT not exited"), e.tail());
        return records(audit);
    }

    private static final Pattern RECORD = Pattern.compile(
            "\"operation\":\"([^\"]*)\",\"patch\":\"exiting\",\"outcome\":\"([^\"]*)\",\"requester\":\"([^\"]*)\"");

    /** Each line's operation, outcome and requester, {@code |}-separated; the patch is always {@code exiting}. */
    private static List<String> records(Path audit) throws Exception {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(audit)) {
            Matcher m = RECORD.matcher(line);
            out.add(m.find() ? m.group(1) + "|" + m.group(2) + "|" + m.group(3) : line);
        }
        return out;
    }
}
