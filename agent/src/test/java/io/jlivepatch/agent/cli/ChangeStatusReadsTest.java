package io.jlivepatch.agent.cli;

import io.jlivepatch.agent.cli.StandInAgent.Run;
import io.jlivepatch.internal.control.Json;
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
 * The status reads a change command makes around its change, for the note of a force by another operation
 * and the warning of a failed callback (CallbackFailures). A status lists every function of every patch,
 * and each read before the change is one more that can fail and refuse a change that would have worked:
 * enable, disable and unload read it twice before their change and twice after (once per mark); unload of a
 * patch disabled already, which runs no callback, read it twice and was refused (exit 1) by a status that
 * could not be read; force, the command for a transition that will not end, was refused by it too, and
 * exited 4 (unknown outcome) after "transition forced" when the read after it failed. A stand-in agent
 * ({@link TargetJvm#standInSocketForTests}) answers as the agent does and counts the reads.
 */
class ChangeStatusReadsTest {

    private static final String FAILURE = "postPatch of a.B in class loader app threw"
            + " java.lang.IllegalStateException: x";
    private static final String WARNING = "  warning: a callback of the patch failed: " + FAILURE;

    @TempDir
    Path dir;

    @RegisterExtension
    final StandIns standIns = new StandIns();
    private final long pid = ProcessHandle.current().pid();

    /** Patch fix's status: its callbacks have failed {@code failures} times, the last {@link #FAILURE}. */
    private static String status(long failures) {
        return "{\"pid\":1,\"patches\":[{\"name\":\"fix\",\"description\":\"d\",\"stackOrder\":1,\"enabled\":true,"
                + "\"transition\":false,\"forced\":false,\"cumulative\":false,\"states\":[],\"callbacks\":[\"a.B\"],"
                + "\"lastCallbackFailure\":" + (failures == 0 ? "null" : Json.string(FAILURE))
                + ",\"callbackFailures\":" + failures + ",\"provenance\":{}}]}";
    }

    /**
     * A stand-in for jlivepatch in a target ({@link StandInAgent}) with one patch, {@code fix}; its
     * transitions end at once, and its status says a callback failed once a change has come (the change's
     * postPatch or postUnpatch). The test sets it up further and starts it ({@link StandIns#start}).
     */
    private StandInAgent standIn() {
        StandInAgent agent = new StandInAgent();
        agent.status = a -> status(a.changed() ? 1 : 0);
        return agent;
    }

    private Path patchJar() throws IOException {
        return StandInAgent.patchJar(dir);
    }

    /** One read before the change (none for load: a new registration) and one after, with the warning. */
    @Test
    void eachChangeReadsTheStatusOnceBeforeAndOnceAfterAndWarnsOfTheFailedCallback() throws Exception {
        String[][] commands = {
            {"enable", "enabled in pid " + pid + ", patching complete"},
            {"disable", "disabled in pid " + pid + ", unpatching complete"},
            {"unload", "disabled and unregistered in pid " + pid + ", unpatching complete"},
            {"force", "transition forced in pid " + pid},
        };
        for (String[] c : commands) {
            StandInAgent agent = standIn();
            agent.registered.add("fix");
            agent.enabled = !c[0].equals("enable");
            standIns.start(agent, dir);
            Run r = run(c[0], Long.toString(pid), "fix");
            String what = c[0] + ": " + r.out() + r.err() + agent.calls();
            assertEquals(Main.DONE, r.code(), what);
            assertTrue(r.out().startsWith("'fix': " + c[1]), what);
            assertTrue(r.out().contains(WARNING), what);
            assertEquals(2, agent.statusReads(), what);
            standIns.release();
        }
        StandInAgent agent = standIn();
        standIns.start(agent, dir);
        Run r = run("load", Long.toString(pid), patchJar().toString());
        String what = "load: " + r.out() + r.err() + agent.calls();
        assertEquals(Main.DONE, r.code(), what);
        assertTrue(r.out().contains(WARNING), what); // a new registration: every failure counted is the load's
        assertEquals(1, agent.statusReads(), what);
    }

    /** A patch disabled already: unload runs none of its callbacks, and no status read may refuse it. */
    @Test
    void anUnloadOfADisabledPatchReadsNoStatusSoAnUnreadableOneCannotRefuseIt() throws Exception {
        StandInAgent agent = standIn();
        agent.registered.add("fix");
        agent.refuseAt = "statusJson";
        agent.refusal = "ILLEGAL_STATE: status could not be read";
        standIns.start(agent, dir);
        Run r = run("unload", Long.toString(pid), "fix");
        String what = r.out() + r.err() + agent.calls();
        assertEquals(Main.DONE, r.code(), what);
        assertTrue(r.out().startsWith("'fix': unregistered in pid " + pid + ", done in "), what);
        assertEquals(0, agent.statusReads(), what);
        assertFalse(agent.isRegistered("fix"), what);
    }

    /** force is made whether or not the status around it can be read, says it, and exits 0 with a note. */
    @Test
    void aForceIsMadeAndExits0WhenTheStatusBeforeOrAfterItCannotBeRead() throws Exception {
        for (int at : new int[] {0, 2}) { // 0: every read refused; 2: the read after the force, no answer
            StandInAgent agent = standIn();
            agent.registered.add("fix");
            agent.enabled = true;
            if (at == 0) {
                agent.refuseAt = "statusJson";
                agent.refusal = "ILLEGAL_STATE: status could not be read";
            } else {
                agent.closeAt = "statusJson";
                agent.occurrence = at;
            }
            standIns.start(agent, dir);
            Run r = run("force", Long.toString(pid), "fix");
            String what = at + ": " + r.out() + r.err() + agent.calls();
            assertEquals(Main.DONE, r.code(), what);
            assertTrue(agent.calls().contains("force"), what);
            // the threads' lines follow (ForceCommandTest); status unread: the target state is not named
            assertEquals("'fix': transition forced in pid " + pid + System.lineSeparator() + "  every thread now counts"
                    + " as " + (at == 0 ? "in the transition's target state" : "patched") + "; none held the transition"
                    + " just before the force" + System.lineSeparator(), r.out(), what);
            assertTrue(r.err().startsWith("jlivepatch: note: whether a callback of the patch failed in the force was"
                    + " not read (" + (at == 0 ? "ILLEGAL_STATE: status could not be read" : "pid " + pid
                    + " closed the connection without answering statusJson")), what);
            assertTrue(r.err().endsWith("'jlivepatch status " + pid + "' shows its last callback failure"
                    + System.lineSeparator()), what);
            standIns.release();
        }
    }
}
