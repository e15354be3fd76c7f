package io.jlivepatch.agent.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "disable", mixinStandardHelpOptions = true,
        description = "Disable a patch (only the most recently enabled one: patches come off in reverse order).")
final class DisableCommand extends PatchCommand {

    @Mixin
    WaitOption wait;

    @Override
    String apply(TargetJvm jvm) throws Refused, InterruptedException {
        jvm.setEnabled(name, false);
        return "disabled, " + settle(jvm, "unpatching complete", wait);
    }
}
