package io.jlivepatch.agent.cli;

import picocli.CommandLine.Command;

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
        String unread = null;
        try {
            before = jvm.marks(name).failures();
        } catch (Refused r) {
            unread = r.getMessage();
        }
        try {
            jvm.patch(name).force();
        } catch (RuntimeException e) {
            throw TargetJvm.refusal(e);
        }
        done(jvm, "transition forced");
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
}
