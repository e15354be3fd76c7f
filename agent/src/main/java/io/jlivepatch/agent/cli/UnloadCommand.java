package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "unload", mixinStandardHelpOptions = true,
        description = "Disable a patch if it is enabled, then unregister it (kpatch unload).")
final class UnloadCommand extends PatchCommand {

    @Mixin
    WaitOption wait;

    @Override
    String apply(TargetJvm jvm) throws Refused, InterruptedException {
        if (jvm.patch(name).isEnabled()) {
            jvm.setEnabled(name, false);
        }
        if (!jvm.awaitTransition(name, wait.seconds(timeout))) {
            throw new Refused("'" + Text.clean(name) + "' is disabled, but its unpatching transition still runs after "
                    + wait.seconds(timeout) + " s (waiting for " + String.join("; ", jvm.waitingThreads())
                    + "); run 'jlivepatch unregister " + jvm.pid() + " " + Text.clean(name) + "' once it has ended");
        }
        unregister(jvm, name);
        return "disabled and unregistered";
    }
}
