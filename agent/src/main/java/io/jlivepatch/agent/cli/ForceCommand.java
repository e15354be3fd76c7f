package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.List;

@Command(name = "force", mixinStandardHelpOptions = true,
        description = "End the patch's running transition at once (the kernel's force): threads still inside"
                + " old code keep running it and may then call new code. Use only when 'status' shows the"
                + " threads that hold the transition will not leave.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:forced", "1:refused: nothing changed (the reason is printed)", "2:usage error",
                Main.UNKNOWN_EXIT})
final class ForceCommand extends PatchCommand {
    @Override
    boolean changesTheStack() {
        return false; // it ends a transition: which patches are on stays as it was
    }

    @Override
    int apply(TargetJvm jvm) throws Refused, InterruptedException {
        // Read for a warning only: a force is what an operator runs when a transition will not end, and a
        // status that cannot be read then must not keep it from being made (nothing to compare: a note).
        CallbackFailures.Seen before = null;
        Boolean patching = null; // the state the transition moves threads to; null: not read
        String unread = null;
        try {
            TargetJvm.Marks marks = jvm.marks(name);
            before = marks.failures();
            patching = marks.enabled();
        } catch (Refused r) {
            unread = r.getMessage();
        }
        // The threads the force moves off the code they are inside: after it, status lists none (the transition has
        // ended) and says "patched" while such a thread still runs the old code, so this is the last look at them.
        List<String> holding;
        try {
            holding = jvm.waitingThreads(name);
        } catch (Refused r) {
            holding = null; // said as unread below; the force is made all the same
        }
        try {
            jvm.patch(name).force();
        } catch (RuntimeException e) {
            throw TargetJvm.refusal(e);
        }
        done(jvm, "transition forced");
        printLeftInside(spec.commandLine().getOut(), jvm.pid(), name, patching, holding);
        if (before != null) {
            // The force runs the closing callback (postPatch or postUnpatch) before it returns.
            try {
                printCallbackFailures(spec.commandLine().getOut(), before, jvm.marks(name).failures());
            } catch (Refused | ControlChannel.OutcomeUnknown e) {
                unread = e.getMessage(); // the force is made and said so: no unknown outcome (exit 4) for a warning
            }
        }
        if (unread != null) {
            spec.commandLine().getErr().println("jlivepatch: note: whether a callback of the patch failed in the force"
                    + " was not read (" + unread + "): 'jlivepatch status " + jvm.pid() + "' shows its last callback"
                    + " failure");
        }
        return Main.DONE;
    }

    /**
     * What the force did to the threads, under its line (README, "force"): every thread now counts as in the target
     * state, and status says so, but one still inside the code the transition moves off keeps running it until it
     * returns (for good, if it never does: a pool worker's loop), and may call the new code meanwhile. Names the
     * threads that held the transition at the look just before the force, and how to see where they are now.
     *
     * @param patching the state the transition moved to ({@code true}: patched), {@code null} when not read
     * @param holding  the threads that held it just before the force, {@code null} when not read
     */
    static void printLeftInside(PrintWriter out, long pid, String name, Boolean patching, List<String> holding) {
        String quoted = "'" + Text.clean(name) + "'";
        String state = patching == null ? "in the transition's target state" : patching ? "patched" : "unpatched";
        String old = patching == null ? "the code the transition moves off"
                : patching ? "the old code (the version below " + quoted + ")" : "the code of " + quoted;
        if (holding != null && holding.isEmpty()) {
            out.printf("  every thread now counts as %s; none held the transition just before the force%n", state);
            return;
        }
        out.printf("  every thread now counts as %s, and status says so, but a thread still inside %s keeps running it"
                + " until it returns (for good, if it never does), and may call the new code meanwhile%n", state, old);
        if (holding == null) {
            out.printf("  (which threads held the transition was not read; 'jcmd %d Thread.print' shows where every"
                    + " thread is)%n", pid);
            return;
        }
        out.println("  these held the transition just before the force:");
        for (String w : holding) {
            out.println("    " + w);
        }
        out.printf("  ('jcmd %d Thread.print' shows where they are now)%n", pid);
    }
}
