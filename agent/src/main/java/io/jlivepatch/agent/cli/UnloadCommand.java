package io.jlivepatch.agent.cli;

import picocli.CommandLine.Command;

@Command(name = "unload", mixinStandardHelpOptions = true,
        description = "Disable a patch if it is enabled, then unregister it (kpatch unload).")
final class UnloadCommand extends PatchCommand {
    @Override
    String apply(TargetJvm jvm) throws Refused, InterruptedException {
        if (jvm.patch(name).getEnabled()) {
            jvm.setEnabled(name, false);
        }
        if (!jvm.awaitTransition(name, timeoutSeconds)) {
            throw new Refused("'" + name + "' is disabled, but its unpatching transition still runs after "
                    + timeoutSeconds + " s (waiting for " + String.join("; ", jvm.waitingThreads())
                    + "); run 'jlivepatch unregister " + jvm.pid() + " " + name + "' once it has ended");
        }
        unregister(jvm, name);
        return "disabled and unregistered";
    }
}
