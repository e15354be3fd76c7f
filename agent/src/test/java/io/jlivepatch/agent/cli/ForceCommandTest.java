package io.jlivepatch.agent.cli;

import io.jlivepatch.agent.cli.StandInAgent.Run;
import io.jlivepatch.control.WaitingThread;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static io.jlivepatch.agent.cli.StandInAgent.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code jlivepatch force} says it did. It printed "transition forced" only: the target logs that threads still
 * in old code keep running it, and status then says "patched" (and lists no waiting thread any more) while such a
 * thread runs the old code for good (a pool worker that never returns, helper-221's walk). Now, under that line: every
 * thread counts as in the target state, a thread still inside the code the transition moves off keeps running it
 * until it returns, the threads that held it just before the force, and how to see where they are (README, force).
 */
class ForceCommandTest {

    @TempDir
    Path dir;

    @RegisterExtension
    final StandIns standIns = new StandIns();
    private final long pid = ProcessHandle.current().pid();

    private StandInAgent standIn(boolean enabled, WaitingThread... waiting) throws IOException {
        StandInAgent agent = new StandInAgent();
        agent.registered.add("fix");
        agent.enabled = enabled;
        agent.transitionRuns = true;
        agent.waiting = waiting;
        agent.status = a -> "{\"patches\":[{\"name\":\"fix\",\"description\":\"\",\"stackOrder\":1,\"enabled\":"
                + a.enabled + ",\"transition\":true,\"forced\":false,\"lastCallbackFailure\":null,"
                + "\"callbackFailures\":0,\"functions\":[]}]}";
        return standIns.start(agent, dir);
    }

    @Test
    void aForcedEnableNamesTheThreadsThatHeldItAndSaysTheyKeepRunningTheOldCode() throws Exception {
        standIn(true, new WaitingThread("pool-1-thread-1", 41, "com.acme.Worker.process", ""));
        Run r = run("force", Long.toString(pid), "fix");
        assertEquals(Main.DONE, r.code(), r.out() + r.err());
        assertEquals("'fix': transition forced in pid " + pid + "\n"
                + "  every thread now counts as patched, and status says so, but a thread still inside the old code"
                + " (the version below 'fix') keeps running it until it returns (for good, if it never does), and may"
                + " call the new code meanwhile\n"
                + "  these held the transition just before the force:\n"
                + "    thread 'pool-1-thread-1' (id 41) in com.acme.Worker.process\n"
                + "  ('jcmd " + pid + " Thread.print' shows where they are now)\n", r.out());
        assertEquals("", r.err());
    }

    @Test
    void aForcedDisableSaysThreadsInsideThePatchsCodeKeepRunningIt() throws Exception {
        standIn(false, new WaitingThread("w-1", 42, "com.acme.Caller.roundTrip", ""));
        Run r = run("force", Long.toString(pid), "fix");
        assertEquals(Main.DONE, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("  every thread now counts as unpatched, and status says so, but a thread still"
                + " inside the code of 'fix' keeps running it until it returns"), r.out());
        assertTrue(r.out().contains("    thread 'w-1' (id 42) in com.acme.Caller.roundTrip\n"), r.out());
    }

    /** No thread held it at the look before: nothing is said to be left inside the old code. */
    @Test
    void withNoThreadHoldingItTheForceSaysSo() throws Exception {
        standIn(true);
        Run r = run("force", Long.toString(pid), "fix");
        assertEquals(Main.DONE, r.code(), r.out() + r.err());
        assertEquals("'fix': transition forced in pid " + pid + "\n  every thread now counts as patched; none held"
                + " the transition just before the force\n", r.out());
    }

    /** The threads could not be read: the force is made, and the general warning says how to see every thread. */
    @Test
    void whenTheThreadsCannotBeReadTheForceIsMadeAndSaysSo() throws Exception {
        StandInAgent agent = standIn(true);
        agent.refuseAt = "getWaiting";
        agent.refusal = "ILLEGAL_STATE: no room";
        Run r = run("force", Long.toString(pid), "fix");
        assertEquals(Main.DONE, r.code(), r.out() + r.err());
        assertTrue(agent.calls().contains("force"), agent.calls().toString());
        assertTrue(r.out().contains("keeps running it until it returns"), r.out());
        assertTrue(r.out().endsWith("  (which threads held the transition was not read; 'jcmd " + pid
                + " Thread.print' shows where every thread is)\n"), r.out());
    }
}
