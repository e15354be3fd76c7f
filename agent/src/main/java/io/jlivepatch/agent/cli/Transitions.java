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
     * how to follow or end the transition ({@code force} only while threads hold it).
     *
     * @param state  what the command did, e.g. {@code enabled}
     * @param change the operator's word for that change, e.g. {@code enable}, for the note on {@code err}
     *               when another operation unregistered the patch before its threads (or its closing callback)
     *               were read
     *               (or, when the command changed nothing, since it found it in {@code state})
     * @return whether the patch was still registered then; {@code false} after that note
     */
    static boolean printStillRunning(PrintWriter out, PrintWriter err, TargetJvm jvm, String patch, String state,
                                     String change, long seconds) throws Refused {
        String name = Text.clean(patch);
        printHeader(out, jvm.pid(), name, state, seconds);
        List<String> waiting;
        String closing = null;
        String endFailure = null;
        try {
            waiting = jvm.waitingThreads(patch);
            // No thread holds it: every thread has moved, and its end may wait for a closing callback (postPatch,
            // postUnpatch), which the transition runs on for, as the kernel's. Force cannot end that. Or the last
            // attempt to end it failed (relinking), which the worker retries, and a force's end would meet too.
            if (waiting.isEmpty()) {
                StatusJson listed = jvm.patchStatus(patch);
                closing = closingCallback(listed);
                String failed = listed.string("transitionEndFailure");
                endFailure = failed == null ? null : Text.clean(failed);
            }
        } catch (ControlChannel.OutcomeUnknown e) {
            if (!ControlChannel.unregisteredSince(e)) {
                throw e;
            }
            // what was printed holds (the change took effect, its transition ran): exit 3, not 4
            err.println(PatchCommand.unregisteredSince(jvm.pid(), patch, change));
            return false;
        } catch (Refused r) {
            // No change of this command came before (an unload of a patch disabled already), so the channel
            // refuses instead: what was printed (its disable's transition still running) holds all the same,
            // and exit 1 (nothing changed, and refused) would deny it
            if (!ControlChannel.notRegistered(r)) {
                throw r;
            }
            err.println(PatchCommand.unregisteredAfter(jvm.pid(), patch, "this command found it " + state));
            return false;
        }
        for (String w : waiting) {
            out.println("  " + w);
        }
        if (closing != null) {
            printClosing(out, jvm.pid(), name, closing);
            return true;
        }
        if (waiting.isEmpty() && endFailure != null) {
            out.printf("  no thread holds it now, but ending it failed, and jlivepatch retries it: %s ('jlivepatch"
                    + " status %d' follows it)%n", endFailure, jvm.pid());
            return true;
        }
        if (waiting.isEmpty()) {
            // Every thread has moved and no closing callback runs at this instant: the end is in one of its other
            // steps (its commit, between two callbacks, its record and line), where a force waits for jlivepatch's
            // lock and is then refused "not in transition": no force is offered that then fails.
            out.printf("  no thread holds it now: its end is under way ('jlivepatch status %d' follows it)%n",
                    jvm.pid());
            return true;
        }
        out.printf("  ('jlivepatch status %d' follows it; 'jlivepatch force %d %s' ends it at once)%n", jvm.pid(),
                jvm.pid(), name);
        return true;
    }

    /**
     * What {@link #printStillRunning} prints of a transition that every thread has left, from one status read that
     * named its running closing callback ({@code closing}, cleaned): the caller has nothing more to ask the target,
     * so no later look (which may find the callback returned, or fail) can contradict or cut short these lines.
     *
     * @param name the patch's name, cleaned
     */
    static void printClosingOnly(PrintWriter out, long pid, String name, String state, long seconds, String closing) {
        printHeader(out, pid, name, state, seconds);
        printClosing(out, pid, name, closing);
    }

    private static void printHeader(PrintWriter out, long pid, String name, String state, long seconds) {
        out.printf("'%s': %s in pid %d, transition still running after %d s; waiting for:%n", name, state, pid,
                seconds);
    }

    private static void printClosing(PrintWriter out, long pid, String name, String closing) {
        out.printf("  the closing callback of '%s': %s: every thread has moved; the transition ends when it"
                + " returns%n", name, closing);
        out.printf("  ('jlivepatch status %d' follows it; force cannot end a callback)%n", pid);
    }

    /**
     * The closing callback of {@code patch} running now as {@code statusJson} says it (its {@code
     * closingCallback}), cleaned; {@code null} when none runs, the patch is not listed, or the agent has no
     * such field (one before it).
     */
    static String closingCallback(String statusJson, String patch) {
        return closingCallback(StatusJson.patch(statusJson, patch));
    }

    /** {@link #closingCallback(String, String)} of a patch's object read already. */
    static String closingCallback(StatusJson patch) {
        String running = patch.string("closingCallback");
        return running == null ? null : Text.clean(running);
    }
}
