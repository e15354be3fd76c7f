package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;

import java.io.PrintWriter;

/** What the commands print when a transition they started has not ended in time (exit code 3). */
final class Transitions {

    private Transitions() {
    }

    /**
     * Like {@code kpatch load}: names the threads that still run old code and what holds them, and
     * how to follow or end the transition.
     *
     * @param state what the command did, e.g. {@code enabled}
     */
    static void printStillRunning(PrintWriter out, TargetJvm jvm, String patch, String state, long seconds)
            throws Refused {
        String name = Text.clean(patch);
        out.printf("'%s': %s in pid %d, transition still running after %d s; waiting for:%n", name, state, jvm.pid(),
                seconds);
        for (String w : jvm.waitingThreads(patch)) {
            out.println("  " + w);
        }
        out.printf("  ('jlivepatch status %d' follows it; 'jlivepatch force %d %s' ends it at once)%n", jvm.pid(),
                jvm.pid(), name);
    }
}
