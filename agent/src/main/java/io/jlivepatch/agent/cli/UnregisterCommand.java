package io.jlivepatch.agent.cli;

import picocli.CommandLine.Command;

@Command(name = "unregister", mixinStandardHelpOptions = true,
        description = "Remove a disabled patch from the stack.")
final class UnregisterCommand extends PatchCommand {
    @Override
    int apply(TargetJvm jvm) throws Refused, InterruptedException {
        unregister(jvm, name);
        done(jvm, "unregistered");
        return Main.DONE;
    }
}
