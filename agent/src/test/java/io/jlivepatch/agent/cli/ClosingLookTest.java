package io.jlivepatch.agent.cli;

import io.jlivepatch.agent.cli.StandInAgent.Run;
import io.jlivepatch.control.WaitingThread;
import io.jlivepatch.internal.control.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.jlivepatch.agent.cli.StandInAgent.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * enable, disable and unload whose transition ends inside their own call (no thread holds it) while its closing
 * callback (postPatch, postUnpatch) does not return: the call is not answered, and at the end of --wait (shorter
 * than --timeout) one ask over a second connection, with the first connection's token (SessionCalls), gets the
 * callback when the agent vouches for it as this command's change, and the command exits 3 naming it, as load
 * does (ClosingCallbackWaitTest). Before, each waited out --timeout and exited 4 (unknown outcome). A stand-in agent
 * ({@link StandInAgent#holdSetEnabled}) holds the setEnabled call, its change made, as jlivepatch does.
 */
class ClosingLookTest {

    private static final String POST_PATCH = "postPatch of agentapp.Greeter in class loader app"
            + " (thread 'jlivepatch-control-session' (id 31), running for 1 s)";
    private static final String POST_UNPATCH = "postUnpatch of agentapp.Greeter in class loader app"
            + " (thread 'jlivepatch-control-session' (id 31), running for 1 s)";

    @TempDir
    Path dir;

    @RegisterExtension
    final StandIns standIns = new StandIns();
    private final long pid = ProcessHandle.current().pid();
    private final String ours = "pid " + pid + " user test";

    /**
     * A stand-in with patch {@code fix} ({@code enabled}), whose setEnabled is held in its call: before the change its
     * status shows no transition ({@code transitionBefore} aside); once changed, a transition whose closing callback
     * {@code closing} runs, asked for by {@code by} ({@code null}: an agent without the field).
     */
    private StandInAgent standIn(boolean enabled, boolean transitionBefore, String closing, String by)
            throws IOException {
        return standIn(enabled, transitionBefore, closing, by, new WaitingThread[0]);
    }

    /** As above, with {@code waiting} the threads getWaiting lists (before the change: those holding it). */
    private StandInAgent standIn(boolean enabled, boolean transitionBefore, String closing, String by,
                                 WaitingThread... waiting) throws IOException {
        StandInAgent agent = new StandInAgent();
        agent.waiting = waiting;
        agent.registered.add("fix");
        agent.enabled = enabled;
        agent.transitionRuns = true;
        agent.loadAnswers = new CountDownLatch(1);
        agent.holdSetEnabled = true;
        // the session token (SessionCalls): an agent with closingBy has it here, and the held call's closing is
        // this command's exactly where closingBy names it (a test of a forged closingBy unsets ownClosing)
        agent.sessionTokens = by != null;
        agent.ownClosing = ours.equals(by) ? closing : null;
        agent.status = a -> {
            boolean changed = a.changed();
            return "{\"patches\":[{\"name\":\"fix\",\"description\":\"\",\"stackOrder\":1,\"enabled\":" + a.enabled
                    + ",\"transition\":" + (changed || transitionBefore) + ",\"forced\":false,"
                    + "\"lastCallbackFailure\":null,\"callbackFailures\":0,\"waiting\":[],\"transitionEndFailure\":null,"
                    + "\"closingCallback\":" + (changed ? Json.string(closing) : "null")
                    + (by == null ? "" : ",\"closingBy\":" + (changed ? Json.string(by) : "null"))
                    + ",\"functions\":[]}]}";
        };
        return standIns.start(agent, dir);
    }

    private String held(String state, String closing, long seconds) {
        return "'fix': " + state + " in pid " + pid + ", transition still running after " + seconds + " s; waiting"
                + " for:\n  the closing callback of 'fix': " + closing + ": every thread has moved; the transition"
                + " ends when it returns\n  ('jlivepatch status " + pid + "' follows it; force cannot end a callback)\n";
    }

    @Test
    void anEnableWhosePostPatchHoldsItsOwnCallExits3NamingIt() throws Exception {
        standIn(false, false, POST_PATCH, ours);
        Run r = run("enable", "--wait", "1", "--timeout", "30", Long.toString(pid), "fix");
        assertEquals(Main.TRANSITION_RUNNING, r.code(), r.out() + r.err());
        assertEquals(held("enabled", POST_PATCH, 1), r.out());
        assertEquals("", r.err());
    }

    @Test
    void aDisableWhosePostUnpatchHoldsItsOwnCallExits3NamingIt() throws Exception {
        standIn(true, false, POST_UNPATCH, ours);
        Run r = run("disable", "--wait", "1", "--timeout", "30", Long.toString(pid), "fix");
        assertEquals(Main.TRANSITION_RUNNING, r.code(), r.out() + r.err());
        assertEquals(held("disabled", POST_UNPATCH, 1), r.out());
        assertEquals("", r.err());
    }

    /** unload's disable held so: exit 3, and the patch left registered, with the unregister to run once it ends. */
    @Test
    void anUnloadWhosePostUnpatchHoldsItsDisablesCallExits3NamingItAndLeavesItRegistered() throws Exception {
        StandInAgent agent = standIn(true, false, POST_UNPATCH, ours);
        Run r = run("unload", "--wait", "1", "--timeout", "30", Long.toString(pid), "fix");
        assertEquals(Main.TRANSITION_RUNNING, r.code(), r.out() + r.err());
        assertEquals(held("disabled", POST_UNPATCH, 1) + "  (still registered: 'jlivepatch unregister " + pid
                + " fix' once it has ended)\n", r.out());
        assertFalse(agent.calls().contains("unregister"), agent.calls().toString());
    }

    /**
     * A disable (enable, unload) that reverses a transition threads still held before it, and whose reversed
     * transition ends inside its call with a postUnpatch (postPatch) that does not return: exit 3 naming it, as for
     * a patch out of transition. Held by threads at the command's look before its change, that transition was not
     * committed then, so the closing status names later, requested by this pid, is a commit after that look. Before,
     * any transition at the command's read before its change kept the look from claiming: exit 4 at --timeout.
     */
    @Test
    void aChangeThatReversesATransitionThreadsHeldAndIsHeldByItsClosingExits3NamingIt() throws Exception {
        WaitingThread holder = new WaitingThread("w-1", 42, "com.acme.Caller.roundTrip", "");
        standIn(true, true, POST_UNPATCH, ours, holder);
        Run r = run("disable", "--wait", "1", "--timeout", "30", Long.toString(pid), "fix");
        assertEquals(Main.TRANSITION_RUNNING, r.code(), r.out() + r.err());
        assertEquals(held("disabled", POST_UNPATCH, 1), r.out());
        standIn(false, true, POST_PATCH, ours, holder);
        r = run("enable", "--wait", "1", "--timeout", "30", Long.toString(pid), "fix");
        assertEquals(Main.TRANSITION_RUNNING, r.code(), r.out() + r.err());
        assertEquals(held("enabled", POST_PATCH, 1), r.out());
        StandInAgent agent = standIn(true, true, POST_UNPATCH, ours, holder);
        r = run("unload", "--wait", "1", "--timeout", "30", Long.toString(pid), "fix");
        assertEquals(Main.TRANSITION_RUNNING, r.code(), r.out() + r.err());
        assertTrue(r.out().startsWith(held("disabled", POST_UNPATCH, 1)), r.out());
        assertFalse(agent.calls().contains("unregister"), agent.calls().toString());
    }

    /**
     * A closing callback that the agent does not vouch for as this command's change (its connection's token) is not
     * claimed: the command waits for its call's answer as before (exit 4 here at --timeout, the stand-in never
     * answering). Another process's change (this command's call then waits for jlivepatch's lock), the worker's end,
     * a closingBy that names this command's pid for a closing another process asked for (a local process of the
     * same user can state any pid in its hello: before, this one was claimed, exit 3, while the command's own call
     * still waited to change the target later), an agent before the token (with closingBy naming this command, or
     * without closingBy; one built from 2026-12-01 to 12-03, which answers the token's ask as failed: before, the
     * command took that for a failed channel, refused its change unsent, exit 1).
     */
    @Test
    void aClosingCallbackThatIsNotProvablyThisChangesIsNotClaimed() throws Exception {
        Object[][] cases = {
            {"enable", false, false, POST_PATCH, "pid 1 user someone", ""},
            {"enable", false, false, POST_PATCH, "jlivepatch (for " + ours + ")", ""},
            {"enable", false, false, POST_PATCH, ours, "forged"},
            {"disable", true, false, POST_UNPATCH, ours, "forged"},
            {"unload", true, false, POST_UNPATCH, ours, "forged"},
            {"disable", true, false, POST_UNPATCH, ours, "no token"},
            {"disable", true, false, POST_UNPATCH, null, ""},
            {"disable", true, false, POST_UNPATCH, ours, "token failed"},
            {"enable", false, false, POST_PATCH, ours, "token failed"},
        };
        for (Object[] c : cases) {
            StandInAgent agent = standIn((Boolean) c[1], (Boolean) c[2], (String) c[3], (String) c[4]);
            synchronized (agent) { // the stand-in reads them under its lock
                if (c[5].equals("forged")) {
                    agent.ownClosing = null; // another connection's closing, its hello stating this command's pid
                } else if (c[5].equals("no token")) {
                    agent.sessionTokens = false;
                } else if (c[5].equals("token failed")) { // an agent of 2026-12-01 to 12-03
                    agent.sessionTokens = false;
                    agent.sessionCallsFail = true;
                }
            }
            Run r = run((String) c[0], "--wait", "1", "--timeout", "3", Long.toString(pid), "fix");
            String which = c[0] + " by " + c[4] + " " + c[5] + ": ";
            assertEquals(Main.OUTCOME_UNKNOWN, r.code(), which + r.out() + r.err());
            assertFalse(r.out().contains("closing callback"), which + r.out());
            assertTrue(r.err().contains("unknown outcome"), which + r.err());
            assertTrue(agent.changed(), which + "the change was not sent: " + agent.calls());
        }
    }

    /**
     * At --wait 0 no second connection is made (a call never answers in no time: each such change would read the
     * whole status for nothing), as for load (ClosingCallbackWaitTest.aLoadWithWaitZeroMakesNoSecondLook): the change
     * held by its closing callback waits for its answer within --timeout, then exit 4.
     */
    @Test
    void withWaitZeroNoCommandMakesASecondLook() throws Exception {
        String[][] commands = {{"enable", "false"}, {"disable", "true"}, {"unload", "true"}};
        for (String[] c : commands) {
            boolean enabled = Boolean.parseBoolean(c[1]);
            StandInAgent agent = standIn(enabled, false, enabled ? POST_UNPATCH : POST_PATCH, ours);
            Run r = run(c[0], "--wait", "0", "--timeout", "2", Long.toString(pid), "fix");
            assertEquals(Main.OUTCOME_UNKNOWN, r.code(), c[0] + ": " + r.out() + r.err());
            assertFalse(r.out().contains("closing callback"), c[0] + ": " + r.out());
            assertEquals(1, agent.connections(), c[0] + ": " + agent.calls());
        }
    }

    /**
     * The command's thread interrupted while it waits for its held enable's answer (its look not yet made): the
     * enable was sent and the target may have changed, so exit 4 saying so and what to run, as for a change whose
     * answer did not come; not exit 1, which says nothing changed. Before, picocli's handler printed 'failed:
     * java.lang.InterruptedException' and exited 1.
     */
    @Test
    void anInterruptWhileTheChangesAnswerIsAwaitedIsAnUnknownOutcome() throws Exception {
        StandInAgent agent = standIn(false, false, POST_PATCH, ours);
        Run[] result = new Run[1];
        Thread command = new Thread(() -> result[0] = run("enable", "--wait", "60", "--timeout", "120",
                Long.toString(pid), "fix"), "interrupted command");
        command.start();
        long bound = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (!agent.changed() && System.nanoTime() - bound < 0) { // the stand-in holds the enable, changed
            Thread.sleep(5);
        }
        assertTrue(agent.changed(), "the enable never reached the stand-in: " + agent.calls());
        command.interrupt();
        command.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(command.isAlive(), "the command did not end at its interrupt");
        Run r = result[0];
        assertEquals(Main.OUTCOME_UNKNOWN, r.code(), r.out() + r.err());
        assertEquals("jlivepatch: unknown outcome: " + interrupted("enable") + "\n", r.err());
        assertEquals(1, agent.connections(), "no look was made: " + agent.calls());
    }

    /**
     * An interrupt inside the look (here while its predicate runs; the side connection's connect and read keep an
     * interrupt too, as a refusal the look takes for "cannot tell"): the wait for the answer after it ends with it,
     * an unknown outcome, not an InterruptedException that the command printed as a failure (exit 1).
     */
    @Test
    void anInterruptInsideTheLookIsAnUnknownOutcome() throws Exception {
        StandInAgent agent = standIn(false, false, POST_PATCH, ours);
        agent.status = a -> "{\"patches\":[{\"name\":\"fix\",\"enabled\":true,\"transition\":true,"
                + "\"waiting\":[],\"closingCallback\":" + Json.string(POST_PATCH) + ",\"closingBy\":"
                + Json.string(ours) + "}]}";
        CountDownLatch never = new CountDownLatch(1);
        boolean[] looked = new boolean[1];
        try {
            ControlChannel.OutcomeUnknown e = org.junit.jupiter.api.Assertions.assertThrows(
                    ControlChannel.OutcomeUnknown.class, () -> ClosingLook.await(pid, "fix", "enable", 1, 30, true,
                            () -> null, (patch, asked) -> {
                                looked[0] = true;
                                Thread.currentThread().interrupt();
                                return false;
                            }, () -> never.await(60, TimeUnit.SECONDS)));
            assertTrue(looked[0], "no look was made");
            assertEquals(interrupted("enable"), e.getMessage());
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept");
        } finally {
            Thread.interrupted();
            never.countDown();
        }
    }

    /**
     * The command's thread interrupted before its change is handed to the thread that sends it (the look's token
     * asked, or none): nothing is sent, a refusal (exit 1) that says so, the interrupt kept. Before, the change was
     * handed over and sent all the same, and the wait for its answer, ended at once by the interrupt, said it may
     * have taken effect (exit 4).
     */
    @Test
    void anInterruptBeforeTheChangeIsHandedOverSendsNothing() throws Exception {
        boolean[] sent = new boolean[1];
        Thread.currentThread().interrupt();
        try {
            Refused e = org.junit.jupiter.api.Assertions.assertThrows(Refused.class, () -> ClosingLook.await(pid, "fix",
                    "enable", 0, 30, false, () -> null, null, () -> {
                        synchronized (sent) {
                            sent[0] = true;
                        }
                        return Boolean.TRUE;
                    }));
            assertEquals("interrupted before the enable was sent to pid " + pid + ": nothing was sent", e.getMessage());
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept");
        } finally {
            Thread.interrupted();
        }
        // never handed over (the refusal above says so; before, it was, and the wait said 'may have taken effect')
        synchronized (sent) {
            assertFalse(sent[0], "the change was sent");
        }
    }

    /**
     * The command's thread interrupted once its enable was answered, while its --wait loop waits for the transition
     * to end (here one that never does): the enable took effect, so exit 4 saying so and what to run, not exit 1,
     * which says nothing changed. Before, the interrupt ended the loop's sleep ('failed:
     * java.lang.InterruptedException: sleep interrupted') or its isTransition call ('refused: interrupted while
     * calling isTransition'), both exit 1.
     */
    @Test
    void anInterruptWhileTheTransitionIsAwaitedAfterTheChangeIsAnUnknownOutcome() throws Exception {
        StandInAgent agent = new StandInAgent();
        agent.registered.add("fix");
        agent.transitionRuns = true; // the enable is answered at once; its transition never ends
        agent.status = a -> "{\"patches\":[{\"name\":\"fix\",\"enabled\":" + a.enabled + ",\"transition\":true,"
                + "\"waiting\":[]}]}";
        standIns.start(agent, dir);
        Run[] result = new Run[1];
        Thread command = new Thread(() -> result[0] = run("enable", "--wait", "60", "--timeout", "120",
                Long.toString(pid), "fix"), "interrupted command");
        command.start();
        long bound = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!agent.calls().contains("isTransition") && System.nanoTime() - bound < 0) { // in the --wait loop
            Thread.sleep(5);
        }
        assertTrue(agent.changed() && agent.calls().contains("isTransition"), "no --wait loop: " + agent.calls());
        command.interrupt();
        command.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(command.isAlive(), "the command did not end at its interrupt");
        Run r = result[0];
        assertEquals(Main.OUTCOME_UNKNOWN, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("jlivepatch: unknown outcome: interrupted while "), r.err());
        assertTrue(r.err().endsWith("; this command's enable had taken effect before: run 'jlivepatch status " + pid
                + "' before anything else (the audit log records what was done)\n"), r.err());
    }

    private String interrupted(String operation) {
        return "interrupted while waiting for pid " + pid + "'s answer; the " + operation + " had been sent to it (or"
                + " was on its way) and its answer was not read, so it may have taken effect, or may still: run"
                + " 'jlivepatch status " + pid + "' before anything else (the audit log records what was done)";
    }
}
