package io.jlivepatch.agent.cli;

import picocli.CommandLine.Command;

@Command(name = "unload", mixinStandardHelpOptions = true,
        description = "Disable a patch if it is enabled, then unregister it (kpatch unload).")
final class UnloadCommand extends PatchCommand {
    @Override
    String apply(TargetJvm jvm) throws Refused {
        if (jvm.patch(name).getEnabled()) {
            jvm.setEnabled(name, false);
        }
        unregister(jvm, name);
        return "disabled and unregistered";
    }
}
