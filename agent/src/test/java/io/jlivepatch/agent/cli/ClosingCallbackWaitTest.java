package io.jlivepatch.agent.cli;

import io.jlivepatch.agent.cli.StandInAgent.Run;
import io.jlivepatch.control.WaitingThread;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import static io.jlivepatch.agent.cli.StandInAgent.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A transition whose every thread has moved but whose closing callback (postPatch, postUnpatch) still runs is
 * still running, as in the kernel: the target's Transition stays true until the callback returns. A command
 * whose --wait runs out then exits 3 and names the callback, where before it listed no thread at all and
 * offered a force, which cannot end a callback. A stand-in agent ({@link TargetJvm#standInSocketForTests})
 * answers as jlivepatch does while a postPatch blocks.
 */
class ClosingCallbackWaitTest {

    private static final String RUNNING = "postPatch of agentapp.Greeter in class loader app"
            + " (thread 'jlivepatch-transition' (id 31), running for 4 s)";

    @TempDir
    Path dir;

    @RegisterExtension
    final StandIns standIns = new StandIns();
    private final long pid = ProcessHandle.current().pid();
    /** What the stand-in's getWaiting answers. */
    private WaitingThread[] waiting = new WaitingThread[0];
    /** When set, the stand-in holds a loadContent in its call ({@link StandInAgent#loadAnswers}). */
    private CountDownLatch loadAnswers;
    /** Who the stand-in's status says loaded the patch its held loadContent registered. */
    private String loadedBy = "pid " + ProcessHandle.current().pid() + " user test";
    /** When the stand-in's status says the patch was loaded; null: when its held loadContent came. */
    private String loadedAt;
    /** The closing callback the stand-in's status names from its second read on ("null": none); null: as the first. */
    private String closingLater;
    /** What the stand-in's status says of its last failed attempt to end the transition (JSON: "null", none). */
    private String endFailure = "null";
    /** Whether the stand-in has the session token (StandInAgent#sessionTokens); else it refuses it, as an older agent. */
    private boolean tokens;
    /** What the stand-in answers the held load's token (StandInAgent#ownClosing). */
    private String ownClosing;

    /**
     * A stand-in agent ({@link StandInAgent}) with patch {@code fix}, whose transition never ends: its closing
     * callback {@code closing} runs ("null": none). Closed after the test.
     */
    private void standIn(boolean registered, boolean enabled, String closing) throws IOException {
        StandInAgent agent = new StandInAgent();
        if (registered) {
            agent.registered.add("fix");
        }
        agent.enabled = enabled;
        agent.transitionRuns = true;
        agent.waiting = waiting;
        agent.loadAnswers = loadAnswers;
        agent.sessionTokens = tokens;
        agent.ownClosing = ownClosing;
        String by = loadedBy;
        String at = loadedAt;
        String later = closingLater;
        String failure = endFailure;
        agent.status = a -> "{\"patches\":[{\"name\":\"fix\",\"description\":\"\",\"stackOrder\":1,\"enabled\":"
                + a.enabled + ",\"transition\":true,"
                + (a.loadedSha() == null ? "" : "\"provenance\":{\"source\":\"fix.jar\",\"sha256\":\""
                + a.loadedSha() + "\",\"loadedAt\":\"" + (at != null ? at : a.loadedAt()) + "\",\"loadedBy\":\""
                + by + "\"},")
                + "\"lastCallbackFailure\":null,\"callbackFailures\":0,"
                + "\"waiting\":[],\"transitionEndFailure\":" + failure + ",\"closingCallback\":"
                + (later != null && a.statusReads() > 1 ? later : closing) + ",\"functions\":[]}]}";
        standIns.start(agent, dir);
    }

    private Path patchJar() throws IOException {
        return StandInAgent.patchJar(dir);
    }

    /**
     * With an agent that has the session token, a held load is claimed from the token alone: its own closing (exit
     * 3), and not one whose provenance names this command's pid and this JAR, loaded since it asked, but which the
     * agent does not vouch for as this connection's call's (another local process of the same user can state this
     * pid in its hello: before, exit 3 from the provenance while this load still waited for jlivepatch's lock).
     */
    @Test
    void withTheSessionTokenAHeldLoadIsClaimedFromTheTokenNotFromItsProvenance() throws Exception {
        loadAnswers = new CountDownLatch(1);
        tokens = true;
        ownClosing = RUNNING;
        standIn(false, false, io.jlivepatch.internal.control.Json.string(RUNNING));
        Run r = run("load", "--wait", "1", "--timeout", "30", Long.toString(pid), patchJar().toString());
        assertEquals(Main.TRANSITION_RUNNING, r.code(), r.out() + r.err());
        assertTrue(r.out().startsWith("'fix': enabled in pid " + pid + ", transition still running after 1 s;"
                + " waiting for:\n  the closing callback of 'fix': " + RUNNING + ": every thread has moved"), r.out());
        standIns.release();
        loadAnswers = new CountDownLatch(1);
        ownClosing = null; // another connection's call runs it
        standIn(false, false, io.jlivepatch.internal.control.Json.string(RUNNING));
        r = run("load", "--wait", "1", "--timeout", "3", Long.toString(pid), patchJar().toString());
        assertEquals(Main.OUTCOME_UNKNOWN, r.code(), r.out() + r.err());
        assertFalse(r.out().contains("closing callback"), r.out());
    }

    @Test
    void aLoadWhosePostPatchStillRunsAtTheEndOfItsWaitExits3AndNamesTheCallback() throws Exception {
        standIn(false, false, io.jlivepatch.internal.control.Json.string(RUNNING));
        Run r = run("load", "--wait", "1", Long.toString(pid), patchJar().toString());
        assertEquals(Main.TRANSITION_RUNNING, r.code(), r.out() + r.err());
        assertTrue(r.out().startsWith("'fix': enabled in pid " + pid + ", transition still running after 1 s;"
                + " waiting for:\n  the closing callback of 'fix': " + RUNNING + ": every thread has moved; the"
                + " transition ends when it returns\n  ('jlivepatch status " + pid + "' follows it; force cannot end a"
                + " callback)\n"), r.out());
        assertFalse(r.out().contains("complete") || r.out().contains("jlivepatch force"), r.out());
    }

    /**
     * A load whose transition ends inside its own call (no thread holds it) while its postPatch does not return:
     * the call is not answered, and at the end of --wait (shorter than --timeout) a second connection's status
     * names the callback; the command exits 3 naming it, as when the call had answered. Before, it waited out
     * --timeout and exited 4 (unknown outcome), though the target said what held the transition.
     */
    @Test
    void aLoadWhosePostPatchHoldsItsOwnCallExits3AtTheEndOfItsWaitAndNamesTheCallback() throws Exception {
        loadAnswers = new CountDownLatch(1);
        standIn(false, false, io.jlivepatch.internal.control.Json.string(RUNNING));
        Run r = run("load", "--wait", "1", "--timeout", "30", Long.toString(pid), patchJar().toString());
        assertEquals(Main.TRANSITION_RUNNING, r.code(), r.out() + r.err());
        assertTrue(r.out().startsWith("'fix': enabled in pid " + pid + ", transition still running after 1 s;"
                + " waiting for:\n  the closing callback of 'fix': " + RUNNING + ": every thread has moved; the"
                + " transition ends when it returns\n  ('jlivepatch status " + pid + "' follows it; force cannot end a"
                + " callback)\n  sha256 "), r.out());
        assertFalse(r.out().contains("complete") || r.out().contains("jlivepatch force"), r.out());
    }

    /**
     * At --wait 0 the command makes no second look: a call never answers in no time, so every such load would
     * open a second connection and read the whole status for nothing. The load held by its postPatch waits for
     * its answer as before: within --timeout, then exit 4. Before, it looked at once (and the stand-in of the
     * other tests, which serves one connection, held each such load a whole --timeout).
     */
    @Test
    void aLoadWithWaitZeroMakesNoSecondLook() throws Exception {
        loadAnswers = new CountDownLatch(1);
        standIn(false, false, io.jlivepatch.internal.control.Json.string(RUNNING));
        Run r = run("load", "--wait", "0", "--timeout", "2", Long.toString(pid), patchJar().toString());
        assertEquals(Main.OUTCOME_UNKNOWN, r.code(), r.out() + r.err());
        assertFalse(r.out().contains("closing callback"), r.out());
    }

    /**
     * The same load held inside its call without a closing callback (held for another reason: a stand-in whose
     * status names none) waits for its answer as before: within --timeout, then exit 4.
     */
    @Test
    void aLoadHeldInItsCallWithoutAClosingCallbackWaitsForItsAnswerAsBefore() throws Exception {
        loadAnswers = new CountDownLatch(1);
        standIn(false, false, "null");
        Run r = run("load", "--wait", "1", "--timeout", "3", Long.toString(pid), patchJar().toString());
        assertEquals(Main.OUTCOME_UNKNOWN, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("unknown outcome") && r.err().contains("the load had reached it"), r.err());
    }

    /**
     * A closing callback of a patch of the same name that another process loaded (this load waits for its lock):
     * not this load's transition, so the command waits for its answer as before (exit 4 here at --timeout).
     */
    @Test
    void aClosingCallbackOfAnotherLoadOfTheSameNameIsNotTakenForThisLoads() throws Exception {
        loadAnswers = new CountDownLatch(1);
        loadedBy = "pid 1 user someone";
        standIn(false, false, io.jlivepatch.internal.control.Json.string(RUNNING));
        Run r = run("load", "--wait", "1", "--timeout", "3", Long.toString(pid), patchJar().toString());
        assertEquals(Main.OUTCOME_UNKNOWN, r.code(), r.out() + r.err());
        assertFalse(r.out().contains("closing callback"), r.out());
    }

    /**
     * A patch of the same name and JAR that an earlier process of this pid loaded (a pid used again), whose closing
     * this load waits for: loaded before this command asked, so not this load's; the command waits for its answer
     * as before (exit 4 here at --timeout). Before, the pid and the SHA-256 matched, and the command said that it
     * had enabled the patch, whose load the target was still to refuse.
     */
    @Test
    void aClosingCallbackOfThisJarLoadedBeforeThisCommandByTheSamePidIsNotTakenForThisLoads() throws Exception {
        loadAnswers = new CountDownLatch(1);
        loadedAt = "2020-01-01T00:00:00Z";
        standIn(false, false, io.jlivepatch.internal.control.Json.string(RUNNING));
        Run r = run("load", "--wait", "1", "--timeout", "3", Long.toString(pid), patchJar().toString());
        assertEquals(Main.OUTCOME_UNKNOWN, r.code(), r.out() + r.err());
        assertFalse(r.out().contains("closing callback"), r.out());
    }

    /**
     * A load held in its call by its postPatch, whose callback returns right after the command's look: what the
     * command prints comes from that one look. Before, a second status read (after the first line was printed)
     * found no callback and offered "'jlivepatch force ...' ends it at once", which finds nothing to force.
     */
    @Test
    void aLoadHeldByItsPostPatchSaysWhatItsOneLookFoundThoughTheCallbackReturnsRightAfter() throws Exception {
        loadAnswers = new CountDownLatch(1);
        closingLater = "null";
        standIn(false, false, io.jlivepatch.internal.control.Json.string(RUNNING));
        Run r = run("load", "--wait", "1", "--timeout", "30", Long.toString(pid), patchJar().toString());
        assertEquals(Main.TRANSITION_RUNNING, r.code(), r.out() + r.err());
        assertTrue(r.out().startsWith("'fix': enabled in pid " + pid + ", transition still running after 1 s;"
                + " waiting for:\n  the closing callback of 'fix': " + RUNNING + ": every thread has moved; the"
                + " transition ends when it returns\n  ('jlivepatch status " + pid + "' follows it; force cannot end a"
                + " callback)\n  sha256 "), r.out());
        assertFalse(r.out().contains("jlivepatch force"), r.out());
    }

    @Test
    void eachCommandThatWaitsNamesTheClosingCallbackThatHoldsItsTransition() throws Exception {
        String[][] commands = {
            {"enable", "--wait", "0", Long.toString(pid), "fix"},
            {"disable", "--wait", "0", Long.toString(pid), "fix"},
            {"unload", "--wait", "0", Long.toString(pid), "fix"},
        };
        for (String[] c : commands) {
            standIn(true, !c[0].equals("enable"), io.jlivepatch.internal.control.Json.string(RUNNING));
            Run r = run(c);
            assertEquals(Main.TRANSITION_RUNNING, r.code(), c[0] + ": " + r.out() + r.err());
            assertTrue(r.out().contains("transition still running after 0 s; waiting for:\n  the closing callback of"
                    + " 'fix': " + RUNNING + ": every thread has moved"), c[0] + ": " + r.out());
            standIns.release();
        }
    }

    /**
     * A thread that a patch's own code holds inside the method: its line goes on to say what holds it, through the
     * channel, and a name from the application is escaped there as the rest of the line (WaitingInsidePatchCodeTest
     * has the target's side).
     */
    @Test
    void aThreadHeldByAPatchsOwnCodeIsNamedWithWhatHoldsIt() throws Exception {
        waiting = new WaitingThread[] {new WaitingThread("w-1", 42, "com.acme.Caller.roundTrip",
                "the static initializer of fix.C\n (patch 'fix')")};
        standIn(true, true, "null");
        Run r = run("disable", "--wait", "0", Long.toString(pid), "fix");
        assertEquals(Main.TRANSITION_RUNNING, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("waiting for:\n  thread 'w-1' (id 42) in com.acme.Caller.roundTrip, inside the static"
                + " initializer of fix.C\\n (patch 'fix')\n  ('jlivepatch status " + pid + "'"), r.out());
    }

    /**
     * No thread holds the transition and no closing callback runs at this instant (the end's other steps: its commit,
     * between two callbacks, its record and line; or an agent before the field): no force is offered, which would
     * wait for jlivepatch's lock and then be refused "not in transition". Before, the command offered
     * "'jlivepatch force ...' ends it at once" there.
     */
    @Test
    void withNoThreadAndNoCallbackAtTheInstantTheCommandOffersNoForce() throws Exception {
        for (String command : new String[] {"enable", "disable", "unload"}) {
            standIn(true, !command.equals("enable"), "null");
            Run r = run(command, "--wait", "0", Long.toString(pid), "fix");
            assertEquals(Main.TRANSITION_RUNNING, r.code(), command + ": " + r.out() + r.err());
            assertTrue(r.out().contains("waiting for:\n  no thread holds it now: its end is under way ('jlivepatch status "
                    + pid + "' follows it)\n"), command + ": " + r.out());
            assertFalse(r.out().contains("force"), command + ": " + r.out());
            standIns.release();
        }
        assertNull(Transitions.closingCallback("{\"patches\":[{\"name\":\"fix\",\"description\":\"\","
                + "\"stackOrder\":1}]}", "fix"), "an agent before the field");
        assertNull(Transitions.closingCallback("{}", "fix"));
    }

    /**
     * No thread holds it and no callback runs, but the last attempt to end it failed (status's transitionEndFailure;
     * jlivepatch's worker retries it): said with its reason, not "its end is under way", and no force, whose own end
     * would fail the same way. Before, the command said its end was under way and hid the failure status shows.
     */
    @Test
    void whenEndingItFailedTheCommandSaysWhyAndOffersNoForce() throws Exception {
        endFailure = "\"cannot relink com.acme.C: out of memory\"";
        for (String command : new String[] {"enable", "disable", "unload"}) {
            standIn(true, !command.equals("enable"), "null");
            Run r = run(command, "--wait", "0", Long.toString(pid), "fix");
            assertEquals(Main.TRANSITION_RUNNING, r.code(), command + ": " + r.out() + r.err());
            assertTrue(r.out().contains("waiting for:\n  no thread holds it now, but ending it failed, and jlivepatch"
                    + " retries it: cannot relink com.acme.C: out of memory ('jlivepatch status " + pid
                    + "' follows it)\n"), command + ": " + r.out());
            assertFalse(r.out().contains("force") || r.out().contains("under way"), command + ": " + r.out());
            standIns.release();
        }
    }

    /** A thread holds it: the force that ends it is offered, as before. */
    @Test
    void whileAThreadHoldsItTheCommandOffersTheForceThatEndsIt() throws Exception {
        waiting = new WaitingThread[] {new WaitingThread("w-1", 42, "com.acme.Caller.roundTrip", "")};
        standIn(true, true, "null");
        Run r = run("disable", "--wait", "0", Long.toString(pid), "fix");
        assertEquals(Main.TRANSITION_RUNNING, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("waiting for:\n  thread 'w-1' (id 42) in com.acme.Caller.roundTrip\n  ('jlivepatch"
                + " status " + pid + "' follows it; 'jlivepatch force " + pid + " fix' ends it at once)"), r.out());
    }
}
