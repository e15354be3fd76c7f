package io.jlivepatch.agent.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "disable", mixinStandardHelpOptions = true,
        description = "Disable a patch (only the most recently enabled one: patches come off in reverse order).",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:disabled, unpatching complete", "1:refused: nothing changed (the reason is printed); or another operation enabled it again before the"
                + " transition ended (printed)",
                "2:usage error", "3:disabled, but the transition had not ended within --wait: what holds it is printed (the threads, with the"
                + " force command, or its postUnpatch, which force cannot end)", Main.UNKNOWN_EXIT})
final class DisableCommand extends PatchCommand {

    @Mixin
    WaitOption wait;

    @Override
    int apply(TargetJvm jvm) throws Refused, InterruptedException {
        TargetJvm.Marks before = jvm.marks(name);
        long start = System.nanoTime();
        if (heldByItsClosing(jvm, false, wait)) {
            return Main.TRANSITION_RUNNING;
        }
        return settle(jvm, false, "unpatching complete", wait, before, start);
    }
}
