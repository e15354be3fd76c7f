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
        CallbackFailures.Seen failuresBefore = jvm.callbackFailures(name);
        try {
            jvm.patch(name).force();
        } catch (RuntimeException e) {
            throw TargetJvm.refusal(e);
        }
        done(jvm, "transition forced");
        // The force runs the closing callback (postPatch or postUnpatch) before it returns.
        printCallbackFailures(spec.commandLine().getOut(), failuresBefore, jvm.callbackFailures(name));
        return Main.DONE;
    }
}
