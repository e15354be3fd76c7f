package io.jlivepatch.agent.cli;

import picocli.CommandLine.Command;

@Command(name = "unregister", mixinStandardHelpOptions = true,
        description = "Remove a disabled patch from the stack.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:unregistered", "1:refused: nothing changed (the reason is printed)", "2:usage error",
                Main.UNKNOWN_EXIT})
final class UnregisterCommand extends PatchCommand {
    @Override
    int apply(TargetJvm jvm) throws Refused, InterruptedException {
        unregister(jvm, name);
        done(jvm, "unregistered");
        return Main.DONE;
    }
}
