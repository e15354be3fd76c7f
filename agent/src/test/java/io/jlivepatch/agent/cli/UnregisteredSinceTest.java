package io.jlivepatch.agent.cli;

import io.jlivepatch.agent.cli.StandInAgent.Run;
import io.jlivepatch.internal.control.Wire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static io.jlivepatch.agent.cli.StandInAgent.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chaos run (benchmarks/chaos/chaos.sh): 'jlivepatch load' printed "enabled 'fix' in pid ..., patching
 * complete" and exited 4 (unknown outcome) when another operation unregistered the patch after the enable
 * had committed, before the command read the patch's details: the operator was told two opposite things.
 * A patch unregistered since by another operation is that operation's change, not an unknown outcome of
 * this one: a note on standard error, and the exit code of what the command did. Any other failure of
 * those reads still exits 4. A stand-in agent ({@link TargetJvm#standInSocketForTests}) unregisters the
 * patch when a given call arrives, as another operator's unload landing right there would, and then
 * answers as the agent does (ControlSession: {@link Wire#notRegistered}).
 */
class UnregisteredSinceTest {

    private static final String NOTE = "jlivepatch: note: another operation (another operator, a JMX client, a"
            + " watch's reconcile) has unregistered 'fix' since this command's ";

    @TempDir
    Path dir;

    @RegisterExtension
    final StandIns standIns = new StandIns();
    private final long pid = ProcessHandle.current().pid();

    /**
     * Starts {@code agent}, closed after the test: one patch, {@code fix}, registered by a load or there from
     * the start; its transitions end at once, or never ({@code transitionRuns}).
     */
    private void start(StandInAgent agent) throws IOException {
        standIns.start(agent, dir);
    }

    private Path patchJar() throws IOException {
        return StandInAgent.patchJar(dir);
    }

    /** The chaos run's case: "patching complete" printed, then fix unregistered before its details were read. */
    @Test
    void aLoadWhosePatchIsUnregisteredAfterPatchingCompleteExits0WithANote() throws Exception {
        StandInAgent agent = new StandInAgent();
        agent.unregisterAt = "getPendingClasses";
        start(agent);
        Run r = run("load", Long.toString(pid), patchJar().toString());
        assertTrue(r.out().startsWith("'fix': enabled in pid " + pid + ", patching complete in "), r.out());
        assertEquals(Main.DONE, r.code(), r.out() + r.err());
        assertEquals(NOTE + "load took effect, so what follows was not read: 'jlivepatch status " + pid
                + "' shows what runs now, and the audit log who asked" + System.lineSeparator(), r.err());
        assertTrue(agent.calls().contains("getPendingClasses"), agent.calls().toString());
    }

    /** A load that only registers (--no-enable) has the same window, and says "registered". */
    @Test
    void aLoadWithoutEnableWhosePatchIsUnregisteredAfterItSaidRegisteredExits0WithANote() throws Exception {
        StandInAgent agent = new StandInAgent();
        agent.unregisterAt = "getPendingClasses";
        start(agent);
        Run r = run("load", "--no-enable", Long.toString(pid), patchJar().toString());
        assertTrue(r.out().startsWith("'fix': registered in pid " + pid + " (not enabled)"), r.out());
        assertEquals(Main.DONE, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith(NOTE + "load took effect"), r.err());
    }

    /** A failure of those reads that is not "not registered" leaves the outcome unknown, as before: exit 4. */
    @Test
    void aLoadWhoseTargetClosesTheConnectionAfterPatchingCompleteStillExits4() throws Exception {
        StandInAgent agent = new StandInAgent();
        agent.closeAt = "getPendingClasses";
        start(agent);
        Run r = run("load", Long.toString(pid), patchJar().toString());
        assertTrue(r.out().startsWith("'fix': enabled in pid " + pid + ", patching complete in "), r.out());
        assertEquals(Main.OUTCOME_UNKNOWN, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("jlivepatch: unknown outcome: pid " + pid + " closed the connection without"
                + " answering getPendingClasses"), r.err());
        assertFalse(r.err().contains("note:"), r.err());
    }

    /**
     * Only the agent's refusal for the very patch the call named is told apart: another refusal of those
     * reads, one naming another patch (as a client's text could), leaves the outcome unknown: exit 4.
     */
    @Test
    void anotherRefusalOfTheReadsAfterPatchingCompleteStillExits4() throws Exception {
        String[] refusals = {
            Wire.notRegistered("fix2") + " (registered: fix)",
            "ILLEGAL_STATE: patch 'fix' is in transition",
            "no patch 'fix' is registered (registered: none)",
        };
        for (String refusal : refusals) {
            StandInAgent agent = new StandInAgent();
            agent.refuseAt = "getPendingClasses";
            agent.refusal = refusal;
            start(agent);
            Run r = run("load", Long.toString(pid), patchJar().toString());
            assertTrue(r.out().startsWith("'fix': enabled in pid " + pid + ", patching complete in "), r.out());
            assertEquals(Main.OUTCOME_UNKNOWN, r.code(), refusal + ": " + r.out() + r.err());
            assertTrue(r.err().startsWith("jlivepatch: unknown outcome: " + refusal + "; this command's load had"
                    + " taken effect before"), r.err());
            standIns.release();
        }
    }

    /**
     * enable reads the function lines after "patching complete": the same window, said, and exit 0; whether
     * the target refuses the read (gone between the command's look at the patches and the read) or the
     * command's own look finds it gone (the fourth: after setEnabled's, the transition's and the state's).
     */
    @Test
    void anEnableWhosePatchIsUnregisteredAfterPatchingCompleteSaysSoAndExits0() throws Exception {
        String[][] points = {{"getFunctions", "1"}, {"getPatches", "4"}};
        for (String[] at : points) {
            StandInAgent agent = new StandInAgent();
            agent.registered.add("fix");
            agent.unregisterAt = at[0];
            agent.occurrence = Integer.parseInt(at[1]);
            start(agent);
            Run r = run("enable", Long.toString(pid), "fix");
            assertTrue(r.out().startsWith("'fix': enabled in pid " + pid + ", patching complete in "), at[0] + ": "
                    + r.out());
            assertEquals(Main.DONE, r.code(), at[0] + ": " + r.out() + r.err());
            assertTrue(r.err().startsWith(NOTE + "enable took effect"), at[0] + ": " + r.err());
            assertEquals(1, r.err().lines().count(), at[0] + ": " + r.err());
            standIns.release();
        }
    }

    /**
     * A transition still running at --wait's end: the command says so, then reads the threads holding it;
     * a patch unregistered since leaves exit 3 (what it did and printed), with the note, for every command
     * that prints it.
     */
    @Test
    void aPatchUnregisteredBeforeTheThreadsHoldingItsTransitionWereReadLeavesExit3WithANote() throws Exception {
        String[][] commands = {
            {"load", "--wait", "0", Long.toString(pid), null},
            {"enable", "--wait", "0", Long.toString(pid), "fix"},
            {"disable", "--wait", "0", Long.toString(pid), "fix"},
            {"unload", "--wait", "0", Long.toString(pid), "fix"},
        };
        for (String[] c : commands) {
            StandInAgent agent = new StandInAgent();
            agent.transitionRuns = true;
            if (c[4] == null) {
                c[4] = patchJar().toString();
            } else {
                agent.registered.add("fix");
                agent.enabled = !c[0].equals("enable");
            }
            agent.unregisterAt = "getWaiting";
            start(agent);
            Run r = run(c);
            String change = c[0].equals("load") ? "load" : c[0].equals("enable") ? "enable" : "disable";
            String state = c[0].equals("load") || c[0].equals("enable") ? "enabled" : "disabled";
            assertTrue(r.out().startsWith("'fix': " + state + " in pid " + pid + ", transition still running after 0 s"),
                    c[0] + ": " + r.out());
            assertEquals(Main.TRANSITION_RUNNING, r.code(), c[0] + ": " + r.out() + r.err());
            assertTrue(r.err().startsWith(NOTE + change + " took effect"), c[0] + ": " + r.err());
            assertEquals(1, r.err().lines().count(), c[0] + ": " + r.err());
            standIns.release();
        }
    }

    /**
     * unload of a patch disabled already, whose disable's transition still runs: it said so, then another
     * operation unregistered the patch before the threads holding it were read. No change of this command
     * came before, so that read was a refusal, and the command exited 1 (refused, nothing changed) after
     * printing what holds; README: a disable or unload whose transition is still running never exits 1.
     * Whether the target refuses the read or the command's own look finds it gone (the third getPatches:
     * after isEnabled's and the transition's). Any other refusal there is still one (exit 1).
     */
    @Test
    void anUnloadOfAPatchDisabledAlreadyUnregisteredBeforeTheThreadsWereReadExits3WithANote() throws Exception {
        String[][] points = {{"getWaiting", "1"}, {"getPatches", "3"}, {"refused", null}};
        for (String[] at : points) {
            StandInAgent agent = new StandInAgent();
            agent.registered.add("fix");
            agent.transitionRuns = true;
            if (at[1] == null) {
                agent.refuseAt = "getWaiting";
                agent.refusal = "ILLEGAL_STATE: the stand-in refuses";
            } else {
                agent.unregisterAt = at[0];
                agent.occurrence = Integer.parseInt(at[1]);
            }
            start(agent);
            Run r = run("unload", "--wait", "0", Long.toString(pid), "fix");
            String what = at[0] + ": " + r.out() + r.err();
            assertTrue(r.out().startsWith("'fix': disabled already in pid " + pid + ", transition still running after"
                    + " 0 s; waiting for:"), what);
            assertFalse(agent.calls().contains("setEnabled"), what + agent.calls());
            if (at[1] == null) {
                assertEquals(Main.REFUSED, r.code(), what);
                assertTrue(r.err().contains("ILLEGAL_STATE: the stand-in refuses"), what);
                assertFalse(r.err().contains("note:"), what);
            } else {
                assertEquals(Main.TRANSITION_RUNNING, r.code(), what);
                assertEquals("jlivepatch: note: another operation (another operator, a JMX client, a watch's"
                        + " reconcile) has unregistered 'fix' since this command found it disabled already, so what"
                        + " follows was not read: 'jlivepatch status " + pid + "' shows what runs now, and the audit"
                        + " log who asked" + System.lineSeparator(), r.err(), what);
                assertFalse(r.out().contains("still registered"), what);
            }
            standIns.release();
        }
    }

    /**
     * enable's read of the function lines after "patching complete" that gets no answer (the target closed
     * the connection) is no patch unregistered since: whether a function FAILED (exit 5) is unknown, as
     * load says in the same place (exit 4). It exited 0, silent: "done" for what was not read.
     */
    @Test
    void anEnableWhoseTargetClosesTheConnectionAtTheFunctionLinesExits4AsLoadDoes() throws Exception {
        StandInAgent agent = new StandInAgent();
        agent.registered.add("fix");
        agent.closeAt = "getFunctions";
        start(agent);
        Run r = run("enable", Long.toString(pid), "fix");
        assertTrue(r.out().startsWith("'fix': enabled in pid " + pid + ", patching complete in "), r.out());
        assertEquals(Main.OUTCOME_UNKNOWN, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("jlivepatch: unknown outcome: pid " + pid + " closed the connection without"
                + " answering getFunctions"), r.err());
        assertFalse(r.err().contains("note:"), r.err());
    }

    /**
     * After a FAILED function line, the look at whether the patch is still enabled: a patch unregistered
     * since is taken off (the note, exit 0), but a target that closed the connection there says nothing
     * of the kind. It printed "another operation has taken 'fix' off" and exited 0, where the FAILED line
     * may hold (exit 5): unknown, exit 4. For load and enable alike.
     */
    @Test
    void aLostConnectionAtTheLookAfterAFailedFunctionIsNoPatchTakenOffAndExits4() throws Exception {
        for (String command : new String[] {"load", "enable"}) {
            for (boolean closes : new boolean[] {true, false}) {
                StandInAgent agent = new StandInAgent();
                agent.functionLine = "a.B.c()V [app@1]: failed (VerifyError: bad)";
                agent.after = "getFunctions";
                if (closes) {
                    agent.closeAt = "isEnabled";
                } else {
                    agent.unregisterAt = "isEnabled";
                }
                if (command.equals("enable")) {
                    agent.registered.add("fix");
                }
                start(agent);
                Run r = command.equals("load") ? run("load", Long.toString(pid), patchJar().toString())
                        : run("enable", Long.toString(pid), "fix");
                String what = command + (closes ? ", closed" : ", unregistered") + ": " + r.out() + r.err();
                assertTrue(r.out().startsWith("'fix': enabled in pid " + pid + ", patching complete in "), what);
                assertTrue(agent.calls().contains("getFunctions"), what + agent.calls());
                if (closes) {
                    assertEquals(Main.OUTCOME_UNKNOWN, r.code(), what);
                    assertFalse(r.out().contains("taken 'fix' off"), what);
                    assertTrue(r.err().startsWith("jlivepatch: unknown outcome: pid " + pid + " closed the"
                            + " connection without answering isEnabled"), what);
                } else {
                    assertEquals(Main.DONE, r.code(), what);
                    assertTrue(r.out().contains("note: another operation has taken 'fix' off since its transition"
                            + " ended"), what);
                }
                standIns.release();
            }
        }
    }

    /**
     * The change's transition ended; then, before the command's look at whether its change lasted (undone)
     * or unload's unregister, another operation unregistered the patch. The command exited 4 (unknown
     * outcome) with nothing printed: the change and its end are known, so it says them, then the note, and
     * exits 0. Whether the target refuses the look or the command's own look finds it gone. For disable and
     * unload (an enable's: {@link #anEnableWhosePatchIsUnregisteredBeforeTheLookWhetherItLastedIsNoPatchingComplete}).
     */
    @Test
    void aPatchUnregisteredAfterItsTransitionEndedBeforeTheCommandsLookSaysSoAndExits0() throws Exception {
        String[][] points = {
            {"disable", "getPatches", "3"}, {"disable", "isEnabled", "1"},
            {"unload", "getPatches", "4"}, {"unload", "isEnabled", "2"},
            {"unload", "getPatches", "5"}, {"unload", "unregister", "1"},
        };
        for (String[] at : points) {
            StandInAgent agent = new StandInAgent();
            if (!at[0].equals("load")) {
                agent.registered.add("fix");
                agent.enabled = !at[0].equals("enable");
            }
            agent.unregisterAt = at[1];
            agent.occurrence = Integer.parseInt(at[2]);
            start(agent);
            Run r = at[0].equals("load") ? run("load", Long.toString(pid), patchJar().toString())
                    : run(at[0], Long.toString(pid), "fix");
            String what = String.join(" ", at) + ": " + r.out() + r.err() + agent.calls();
            String change = at[0].equals("unload") ? "disable" : at[0];
            String line = at[0].equals("load") || at[0].equals("enable") ? "enabled in pid " + pid + ", patching complete"
                    : "disabled in pid " + pid + ", unpatching complete";
            assertTrue(r.out().startsWith("'fix': " + line + " in "), what);
            assertEquals(Main.DONE, r.code(), what);
            assertEquals(NOTE + change + " took effect, so what follows was not read: 'jlivepatch status " + pid
                    + "' shows what runs now, and the audit log who asked" + System.lineSeparator(), r.err(), what);
            assertFalse(agent.isRegistered("fix"), what);
            standIns.release();
        }
    }

    /**
     * The change's transition ended and lasted; then, at the read of its forced mark and callback failures
     * (status --json), another operation had unregistered the patch: status lists the others and not it.
     * That read took it as a patch without a force or a failure, so the command printed "complete" with
     * nothing of what another operation's force (and unregister) had left, and no note: as if it had read
     * them. Now the same line, then the note, and exit 0, as at every other read after the change.
     */
    @Test
    void aPatchUnregisteredBeforeTheReadOfItsForcedMarkAndCallbackFailuresSaysSoAndExits0() throws Exception {
        String[][] points = {{"load", "1"}, {"enable", "2"}, {"disable", "2"}, {"unload", "2"}};
        for (String[] at : points) {
            StandInAgent agent = new StandInAgent();
            if (!at[0].equals("load")) {
                agent.registered.add("fix");
                agent.enabled = !at[0].equals("enable");
            }
            // forced by another operation, which then unregistered it; another patch stays listed
            agent.status = a -> "{\"pid\":1,\"patches\":[{\"name\":\"other\",\"forced\":false}"
                    + (a.isRegistered("fix") ? ",{\"name\":\"fix\",\"forced\":true,\"lastCallbackFailure\":null,"
                    + "\"callbackFailures\":0}" : "") + "]}";
            agent.unregisterAt = "statusJson";
            agent.occurrence = Integer.parseInt(at[1]);
            start(agent);
            Run r = at[0].equals("load") ? run("load", Long.toString(pid), patchJar().toString())
                    : run(at[0], Long.toString(pid), "fix");
            String what = String.join(" ", at) + ": " + r.out() + r.err() + agent.calls();
            String change = at[0].equals("unload") ? "disable" : at[0];
            String line = at[0].equals("load") || at[0].equals("enable") ? "enabled in pid " + pid + ", patching complete"
                    : "disabled in pid " + pid + ", unpatching complete";
            assertTrue(r.out().startsWith("'fix': " + line + " in "), what);
            assertFalse(r.out().contains("unregistered in pid"), what);
            assertEquals(Main.DONE, r.code(), what);
            assertEquals(NOTE + change + " took effect, so what follows was not read: 'jlivepatch status " + pid
                    + "' shows what runs now, and the audit log who asked" + System.lineSeparator(), r.err(), what);
            assertFalse(agent.calls().contains("unregister"), what);
            standIns.release();
        }
    }

    /**
     * load and enable: the transition ended, and the look whether the enable lasted finds the patch
     * unregistered since. Unregistering takes a disable first, which may have reversed the enable before its
     * transition ended (a watch's reconcile: disable, then unregister once that ends): nothing was patched
     * then. The command printed "enabled ..., patching complete" and exited 0 (done), which may be false,
     * as exit 1 (reversed) may be: it says what it knows, and the outcome is unknown (exit 4).
     */
    @Test
    void anEnableWhosePatchIsUnregisteredBeforeTheLookWhetherItLastedIsNoPatchingComplete() throws Exception {
        String[][] points = {
            {"load", "getPatches", "3"}, {"load", "isEnabled", "1"},
            {"enable", "getPatches", "3"}, {"enable", "isEnabled", "1"},
        };
        for (String[] at : points) {
            StandInAgent agent = new StandInAgent();
            if (at[0].equals("enable")) {
                agent.registered.add("fix");
            }
            agent.unregisterAt = at[1];
            agent.occurrence = Integer.parseInt(at[2]);
            start(agent);
            Run r = at[0].equals("load") ? run("load", Long.toString(pid), patchJar().toString())
                    : run(at[0], Long.toString(pid), "fix");
            String what = String.join(" ", at) + ": " + r.out() + r.err() + agent.calls();
            assertTrue(r.out().startsWith("'fix': enabled in pid " + pid + ", transition ended in "), what);
            assertTrue(r.out().contains(" ms, but another operation has unregistered it since, and may have disabled"
                    + " it before the transition ended: whether patching completed was not read"), what);
            assertFalse(r.out().contains(", patching complete"), what);
            assertEquals(Main.OUTCOME_UNKNOWN, r.code(), what);
            assertTrue(r.err().startsWith("jlivepatch: unknown outcome: "), what);
            assertTrue(r.err().contains("this command's " + (at[0].equals("load") ? "load" : "enable") + " had taken"
                    + " effect before"), what);
            assertFalse(r.err().contains("note:"), what);
            standIns.release();
        }
    }

    /**
     * A transition still running at --wait's end, no thread holding it: the command reads status for a
     * closing callback, and another operation had unregistered the patch by then (status lists the others).
     * That read took it for a patch whose callback is not running: the command advised 'jlivepatch force'
     * on a patch gone, and unload said "still registered", with no note. Now the note, as at the read of
     * the threads just before it, and exit 3.
     */
    @Test
    void aPatchUnregisteredBeforeTheReadOfItsClosingCallbackLeavesExit3WithANote() throws Exception {
        String[][] commands = {
            {"load", "--wait", "0", Long.toString(pid), null, "1"},
            {"enable", "--wait", "0", Long.toString(pid), "fix", "2"},
            {"disable", "--wait", "0", Long.toString(pid), "fix", "2"},
            {"unload", "--wait", "0", Long.toString(pid), "fix", "2"},
        };
        for (String[] c : commands) {
            StandInAgent agent = new StandInAgent();
            agent.transitionRuns = true;
            if (c[4] == null) {
                c[4] = patchJar().toString();
            } else {
                agent.registered.add("fix");
                agent.enabled = !c[0].equals("enable");
            }
            agent.status = a -> "{\"patches\":[{\"name\":\"other\",\"closingCallback\":null}"
                    + (a.isRegistered("fix") ? ",{\"name\":\"fix\",\"closingCallback\":null}" : "") + "]}";
            agent.unregisterAt = "statusJson";
            agent.occurrence = Integer.parseInt(c[5]);
            start(agent);
            Run r = run(java.util.Arrays.copyOf(c, 5));
            String what = c[0] + ": " + r.out() + r.err() + agent.calls();
            String change = c[0].equals("load") ? "load" : c[0].equals("enable") ? "enable" : "disable";
            assertTrue(agent.calls().contains("getWaiting"), what);
            assertTrue(r.out().contains("transition still running after 0 s; waiting for:"), what);
            assertFalse(r.out().contains("force"), what);
            assertFalse(r.out().contains("still registered"), what);
            assertEquals(Main.TRANSITION_RUNNING, r.code(), what);
            assertTrue(r.err().startsWith(NOTE + change + " took effect"), what);
            assertEquals(1, r.err().lines().count(), what);
            standIns.release();
        }
    }
}
