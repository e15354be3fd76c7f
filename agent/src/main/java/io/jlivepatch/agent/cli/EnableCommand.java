package io.jlivepatch.agent.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "enable", mixinStandardHelpOptions = true,
        description = "Enable a registered patch (its predecessors in the stack must be enabled).")
final class EnableCommand extends PatchCommand {

    @Mixin
    WaitOption wait;

    @Override
    String apply(TargetJvm jvm) throws Refused, InterruptedException {
        jvm.setEnabled(name, true);
        return "enabled, " + settle(jvm, "patching complete", wait);
    }
}
