package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;

import java.io.PrintWriter;
import java.util.List;

/** What the commands print when a transition they started has not ended in time (exit code 3). */
final class Transitions {

    private Transitions() {
    }

    /**
     * Like {@code kpatch load}: names the threads that still run old code and what holds them, and
     * how to follow or end the transition.
     *
     * @param state  what the command did, e.g. {@code enabled}
     * @param change the operator's word for that change, e.g. {@code enable}, for the note on {@code err}
     *               when another operation unregistered the patch before its threads were read
     * @return whether the patch was still registered then; {@code false} after that note
     */
    static boolean printStillRunning(PrintWriter out, PrintWriter err, TargetJvm jvm, String patch, String state,
                                     String change, long seconds) throws Refused {
        String name = Text.clean(patch);
        out.printf("'%s': %s in pid %d, transition still running after %d s; waiting for:%n", name, state, jvm.pid(),
                seconds);
        List<String> waiting;
        try {
            waiting = jvm.waitingThreads(patch);
        } catch (ControlChannel.OutcomeUnknown e) {
            if (!ControlChannel.unregisteredSince(e)) {
                throw e;
            }
            // what was printed holds (the change took effect, its transition ran): exit 3, not 4
            err.println(PatchCommand.unregisteredSince(jvm.pid(), patch, change));
            return false;
        }
        for (String w : waiting) {
            out.println("  " + w);
        }
        out.printf("  ('jlivepatch status %d' follows it; 'jlivepatch force %d %s' ends it at once)%n", jvm.pid(),
                jvm.pid(), name);
        return true;
    }
}
