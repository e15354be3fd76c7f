package io.jlivepatch.agent.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "enable", mixinStandardHelpOptions = true,
        description = "Enable a registered patch (its predecessors in the stack must be enabled).",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:enabled, patching complete", "1:refused: nothing changed (the reason is printed); or another operation disabled it again before the"
                + " transition ended (printed)",
                "2:usage error", "3:enabled, but the transition had not ended within --wait: what holds it is printed (the threads, with the force"
                + " command, or its postPatch, which force cannot end)", Main.UNKNOWN_EXIT,
                Main.FAILED_EXIT})
final class EnableCommand extends PatchCommand {

    @Mixin
    WaitOption wait;

    @Override
    int apply(TargetJvm jvm) throws Refused, InterruptedException {
        TargetJvm.Marks before = jvm.marks(name);
        long start = System.nanoTime();
        if (heldByItsClosing(jvm, true, wait)) {
            return Main.TRANSITION_RUNNING;
        }
        return settle(jvm, true, "patching complete", wait, before, start);
    }
}
