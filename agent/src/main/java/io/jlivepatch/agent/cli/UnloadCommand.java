package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "unload", mixinStandardHelpOptions = true,
        description = "Disable a patch if it is enabled, then unregister it (kpatch unload).",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:disabled and unregistered", "1:refused: nothing changed (the reason is printed); or another"
                + " operation enabled it again before the disable's transition ended (printed; still registered)",
                "2:usage error", "3:disabled, but the transition had not ended within --wait: still registered;"
                + " unregister it once the transition has ended", Main.UNKNOWN_EXIT})
final class UnloadCommand extends PatchCommand {

    @Mixin
    WaitOption wait;

    @Override
    int apply(TargetJvm jvm) throws Refused, InterruptedException {
        boolean wasEnabled;
        try {
            wasEnabled = jvm.patch(name).isEnabled();
        } catch (RuntimeException e) {
            throw TargetJvm.refusal(e);
        }
        boolean forcedBefore = wasEnabled && jvm.forced(name);
        long start = System.nanoTime(); // to the unregister: the whole unload, as load's time is the whole load
        if (wasEnabled) {
            jvm.setEnabled(name, false);
        }
        long seconds = wait.seconds(timeout);
        if (!jvm.awaitTransition(name, seconds)) {
            // The state changed (disabled): exit 3, never 1, which says nothing changed.
            Transitions.printStillRunning(spec.commandLine().getOut(), jvm, name,
                    wasEnabled ? "disabled" : "still in transition", seconds);
            spec.commandLine().getOut().printf("  (still registered: 'jlivepatch unregister %d %s' once it has"
                    + " ended)%n", jvm.pid(), Text.clean(name));
            return Main.TRANSITION_RUNNING;
        }
        if (wasEnabled) {
            // Another operation may have enabled it again before the disable's transition ended: as
            // disable says, the change did not last, and it stays registered.
            String undone = undone(jvm, name, false);
            if (undone != null) {
                spec.commandLine().getOut().printf("'%s': %s; not unregistered%n", Text.clean(name), undone);
                return Main.REFUSED;
            }
        }
        // Read before the unregister, after which status lists it no more.
        String forced = wasEnabled ? forcedMeanwhile(jvm, name, forcedBefore) : "";
        unregister(jvm, name);
        long ms = msSince(start);
        // The kernel's line where a transition ran; a patch that was disabled already is only unregistered.
        spec.commandLine().getOut().println(wasEnabled
                ? completed(name, "disabled and unregistered", jvm.pid(), "unpatching complete", ms, forced)
                : completed(name, "unregistered", jvm.pid(), "done", ms, forced));
        return Main.DONE;
    }
}
