package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "unload", mixinStandardHelpOptions = true,
        description = "Disable a patch if it is enabled, then unregister it (kpatch unload).",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:disabled and unregistered", "1:refused: nothing changed (the reason is printed); or another"
                + " operation enabled it again before the disable's transition ended (printed; still registered)",
                "2:usage error", "3:disabled, but the transition had not ended within --wait: what holds it is printed (the threads, with the"
                + " force command, or its postUnpatch, which force cannot end); still registered: unregister it once the"
                + " transition has ended", Main.UNKNOWN_EXIT})
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
        // Only around a disable of this command's: a patch disabled already runs no callback of this unload
        // and has no transition to be forced in it, and a read here could only refuse the unregister.
        TargetJvm.Marks before = wasEnabled ? jvm.marks(name) : null;
        long start = System.nanoTime(); // to the unregister: the whole unload, as load's time is the whole load
        long seconds = wait.seconds(timeout);
        if (wasEnabled) {
            boolean held;
            try {
                held = heldByItsClosing(jvm, false, wait);
            } catch (Refused r) {
                throw outOfOrder(jvm, r);
            }
            if (held) {
                stillRegistered(jvm);
                return Main.TRANSITION_RUNNING;
            }
        }
        if (!jvm.awaitTransition(name, seconds)) {
            // The state changed (disabled): exit 3, never 1, which says nothing changed. A patch disabled
            // before this command is in the transition of that disable, which is still running.
            if (!Transitions.printStillRunning(spec.commandLine().getOut(), spec.commandLine().getErr(), jvm, name,
                    wasEnabled ? "disabled" : "disabled already", "disable", seconds)) {
                return Main.TRANSITION_RUNNING; // unregistered since by another operation: the note says so
            }
            stillRegistered(jvm);
            return Main.TRANSITION_RUNNING;
        }
        if (wasEnabled) {
            // Another operation may have enabled it again before the disable's transition ended: as
            // disable says, the change did not last, and it stays registered.
            String undone;
            try {
                undone = undone(jvm, name, false);
            } catch (ControlChannel.OutcomeUnknown e) {
                return endedThenUnregistered(spec.commandLine().getOut(), spec.commandLine().getErr(), jvm, name,
                        completed(name, "disabled", jvm.pid(), "unpatching complete", msSince(start), ""), "disable", e);
            }
            if (undone != null) {
                spec.commandLine().getOut().printf("'%s': %s; not unregistered%n", Text.clean(name), undone);
                return Main.REFUSED;
            }
        }
        // Read before the unregister, after which status lists it no more (the disable's preUnpatch and
        // postUnpatch failures end with the patch).
        TargetJvm.Marks after = null;
        if (wasEnabled) {
            try {
                after = jvm.marks(name);
            } catch (ControlChannel.OutcomeUnknown e) {
                return endedThenUnregistered(spec.commandLine().getOut(), spec.commandLine().getErr(), jvm, name,
                        completed(name, "disabled", jvm.pid(), "unpatching complete", msSince(start), ""), "disable", e);
            }
        }
        String forced = wasEnabled ? forcedMeanwhile(before.forced(), after.forced()) : "";
        try {
            unregister(jvm, name);
        } catch (ControlChannel.OutcomeUnknown e) {
            // after this command's disable (an OutcomeUnknown comes only after a change): unregistered by another
            int code = endedThenUnregistered(spec.commandLine().getOut(), spec.commandLine().getErr(), jvm, name,
                    completed(name, "disabled", jvm.pid(), "unpatching complete", msSince(start), forced), "disable", e);
            printCallbackFailures(spec.commandLine().getOut(), before.failures(), after.failures());
            return code;
        }
        long ms = msSince(start);
        // The kernel's line where a transition ran; a patch that was disabled already is only unregistered.
        spec.commandLine().getOut().println(wasEnabled
                ? completed(name, "disabled and unregistered", jvm.pid(), "unpatching complete", ms, forced)
                : completed(name, "unregistered", jvm.pid(), "done", ms, forced));
        if (wasEnabled) {
            printCallbackFailures(spec.commandLine().getOut(), before.failures(), after.failures());
        }
        return Main.DONE;
    }

    /** Under a transition still running: the unregister this command leaves to the operator. */
    private void stillRegistered(TargetJvm jvm) {
        spec.commandLine().getOut().printf("  (still registered: 'jlivepatch unregister %d %s' once it has ended)%n",
                jvm.pid(), Text.clean(name));
    }

    /**
     * The disable's refusal as an unload's: the target's ORDER_VIOLATION advises a disable of the next
     * patch enabled above, as a disable would; an operator unloading takes the patches above off
     * first, from the top (the kernel's order), and is told what to run. Any other refusal, or one
     * whose patches above are no longer enabled when read again, is the target's as it said it.
     */
    private Refused outOfOrder(TargetJvm jvm, Refused r) throws Refused {
        if (!String.valueOf(r.getMessage()).startsWith("ORDER_VIOLATION")) {
            return r;
        }
        java.util.List<String> above = new java.util.ArrayList<>(); // the top first
        try {
            String[] stack = jvm.livepatch().getPatches(); // bottom first
            for (int i = stack.length - 1; i >= 0 && !stack[i].equals(name); i--) {
                if (jvm.patch(stack[i]).isEnabled()) {
                    above.add(stack[i]);
                }
            }
        } catch (Refused | RuntimeException e) {
            return r; // the target's own words, then
        }
        if (above.isEmpty()) {
            return r;
        }
        long pid = jvm.pid();
        String quoted = "'" + String.join("', '", above) + "'";
        StringBuilder unload = new StringBuilder();
        StringBuilder disable = new StringBuilder();
        for (String n : above) {
            unload.append(unload.length() == 0 ? "" : ", then ").append("'jlivepatch unload ").append(pid).append(' ')
                    .append(n).append('\'');
            disable.append(disable.length() == 0 ? "" : ", then ").append("'jlivepatch disable ").append(pid).append(' ')
                    .append(n).append('\'');
        }
        boolean one = above.size() == 1;
        return new Refused("ORDER_VIOLATION: cannot unload patch '" + Text.clean(name) + "' while " + Text.clean(quoted)
                + (one ? ", enabled after it, is" : ", enabled after it, are") + " still enabled: patches come off in"
                + " reverse order, the top first: unload " + (one ? "it" : "them") + " first (" + Text.clean(unload
                .toString()) + "), or disable " + (one ? "it" : "them") + " to keep " + (one ? "it" : "them")
                + " registered (" + Text.clean(disable.toString()) + "), then unload '" + Text.clean(name) + "' again;"
                + " nothing was changed", r);
    }
}
