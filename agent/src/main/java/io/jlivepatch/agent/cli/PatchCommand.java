package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.control.FailedFunctions;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

/** A command on one registered patch of a running JVM. */
abstract class PatchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    PidOption target;

    @Parameters(index = "1", paramLabel = "<name>", description = "the patch's name ('jlivepatch status <pid>')")
    String name;

    @Mixin
    TimeoutOption timeout;

    @Override
    public Integer call() throws Refused, InterruptedException {
        try (TargetJvm jvm = TargetJvm.attach(target.pid, false, timeout.seconds())) {
            if (changesTheStack()) {
                warnIfWatched(spec, jvm);
            }
            return apply(jvm);
        }
    }

    /** Whether the command changes what the stack is (a watch would put it back); force does not. */
    boolean changesTheStack() {
        return true;
    }

    /**
     * Warns, on standard error and before anything changes, when a directory watch keeps the target's
     * patches: its next reconcile puts the directory's stack back, undoing a change made by hand (and
     * may land between an unload's disable and its unregister). The change is still made: an operator
     * may want it for the time being.
     */
    static void warnIfWatched(CommandSpec spec, TargetJvm jvm) throws Refused {
        String directory = jvm.watchedDirectory();
        if (!directory.isEmpty()) {
            spec.commandLine().getErr().printf("jlivepatch: warning: pid %d follows the patch directory %s (a watch):"
                    + " its next reconcile (the directory's next change, or the watch's interval) puts the directory's"
                    + " stack back, undoing a change made here; to keep a change, make it in the directory ('jlivepatch"
                    + " install', 'jlivepatch uninstall')%n", jvm.pid(), Text.clean(directory));
        }
    }

    /** Does the work and prints what happened; returns the exit code. */
    abstract int apply(TargetJvm jvm) throws Refused, InterruptedException;

    void done(TargetJvm jvm, String outcome) {
        spec.commandLine().getOut().printf("'%s': %s in pid %d%n", Text.clean(name), outcome, jvm.pid());
    }

    /**
     * The line of a change whose transition has ended, the same for load, enable, disable and unload:
     * {@code 'fix': disabled in pid 4242, unpatching complete in 31 ms}, with the kernel's words for the
     * transition's end.
     *
     * @param state    what the command did: {@code enabled}, {@code disabled and unregistered}
     * @param complete the kernel's line, or what ended: {@code patching complete}
     * @param ms       {@link #msSince} the change was sent, taken as the transition (or unregister) ended
     * @param after    what follows: {@code " (forced by another operation: ...)"}, or ""
     */
    static String completed(String name, String state, long pid, String complete, long ms, String after) {
        return "'" + Text.clean(name) + "': " + state + " in pid " + pid + ", " + complete + " in " + ms + " ms" + after;
    }

    /**
     * Warns when callbacks failed during the change: a closing callback (or a preUnpatch) cannot stop it,
     * and what it was to do may not be done. The exit code stays the change's.
     */
    static void printCallbackFailures(java.io.PrintWriter out, CallbackFailures.Seen before, CallbackFailures.Seen after) {
        String warning = CallbackFailures.warning(before, after);
        if (warning != null) {
            out.println(warning);
        }
    }

    /** Milliseconds since {@code startNanos} ({@link System#nanoTime()}). */
    static long msSince(long startNanos) {
        return Math.max(0, (System.nanoTime() - startNanos) / 1_000_000);
    }

    /**
     * Waits for the transition that the operation started and prints how it ended, with how long it
     * took from {@code startNanos} (before the change was sent), as load does.
     *
     * @param complete how the transition ends: {@code patching complete}
     * @param before   the patch's {@link TargetJvm#marks} before the change: a force and callback failures
     *                 since are told
     * @return {@link Main#DONE}, {@link Main#FUNCTIONS_FAILED} when enabled with a function FAILED, or
     *         {@link Main#TRANSITION_RUNNING} when it still runs
     */
    int settle(TargetJvm jvm, boolean enabled, String complete, WaitOption wait, TargetJvm.Marks before,
            long startNanos) throws Refused, InterruptedException {
        long seconds = wait.seconds(timeout);
        String state = enabled ? "enabled" : "disabled";
        if (jvm.awaitTransition(name, seconds)) {
            long ms = msSince(startNanos); // the change's own time: not the reads below
            String undone;
            try {
                undone = undone(jvm, name, enabled);
            } catch (ControlChannel.OutcomeUnknown e) {
                if (enabled) {
                    throw enabledThenUnregistered(spec.commandLine().getOut(), jvm, name, ms, e);
                }
                return endedThenUnregistered(spec.commandLine().getOut(), spec.commandLine().getErr(), jvm, name,
                        completed(name, state, jvm.pid(), complete, ms, ""), "disable", e);
            }
            if (undone != null) {
                spec.commandLine().getOut().printf("'%s': %s%n", Text.clean(name), undone);
                return Main.REFUSED;
            }
            TargetJvm.Marks after;
            try {
                after = jvm.marks(name);
            } catch (ControlChannel.OutcomeUnknown e) {
                return endedThenUnregistered(spec.commandLine().getOut(), spec.commandLine().getErr(), jvm, name,
                        completed(name, state, jvm.pid(), complete, ms, ""), enabled ? "enable" : "disable", e);
            }
            spec.commandLine().getOut().println(completed(name, state, jvm.pid(), complete, ms,
                    forcedMeanwhile(before.forced(), after.forced())));
            printCallbackFailures(spec.commandLine().getOut(), before.failures(), after.failures());
            if (enabled && printFailed(spec.commandLine().getOut(), spec.commandLine().getErr(), jvm, name)) {
                return Main.FUNCTIONS_FAILED;
            }
            return Main.DONE;
        }
        Transitions.printStillRunning(spec.commandLine().getOut(), spec.commandLine().getErr(), jvm, name, state,
                enabled ? "enable" : "disable", seconds);
        return Main.TRANSITION_RUNNING;
    }

    /**
     * Sends the enable or disable ({@link ClosingLook}): whether its transition ended inside the call and a closing
     * callback of this change (proved by the call's connection's token; an agent without it proves none) held the
     * call's answer at the end of --wait, which is then printed (exit 3); false once the call has answered, as
     * without the look.
     */
    boolean heldByItsClosing(TargetJvm jvm, boolean enabled, WaitOption wait)
            throws Refused, InterruptedException {
        long seconds = wait.seconds(timeout);
        ClosingLook.Outcome<Boolean> o = ClosingLook.await(jvm.pid(), name, enabled ? "enable" : "disable", seconds,
                timeout.seconds(), true, jvm::sessionToken, null, () -> {
                    jvm.setEnabled(name, enabled);
                    return Boolean.TRUE;
                });
        if (!o.held()) {
            return false;
        }
        ClosingLook.printHeld(spec.commandLine().getOut(), jvm.pid(), name, enabled ? "enabled" : "disabled", seconds,
                o.closing());
        return true;
    }

    /**
     * Of the function lines {@code lines} (cleaned, as the target gives them), those whose state is FAILED
     * ({@link FailedFunctions}: the same decision as the target's {@code FailedFunctions} attribute).
     */
    static java.util.List<String> failedFunctions(String[] lines) {
        return FailedFunctions.failed(lines);
    }

    /**
     * Of the function lines {@code lines} of an enabled patch, those whose class is loaded but not hooked
     * ({@link FailedFunctions} says when that happens).
     */
    static java.util.List<String> notPatchedFunctions(String[] lines) {
        return FailedFunctions.notPatched(lines);
    }

    /**
     * The warning after "enabled ..., patching complete" when some of the patch's functions are not
     * patched though it is enabled ({@link #notPatchedFunctions}); {@code null} when none is. A fresh load
     * looks at the loaded classes again, so it hooks them.
     */
    static String notPatchedWarning(long pid, String name, int notPatched, int total) {
        if (notPatched == 0) {
            return null;
        }
        return "warning: " + notPatched + " of " + total + " function(s) (per class loader) are not patched though"
                + " the patch is enabled: their class is loaded but not hooked, and there the method runs its own"
                + " code, not this patch's. A class whose definition finished only after the enable looked (another"
                + " agent holding it, say) is hooked by jlivepatch once it sees it loaded, within about a second"
                + " (the target logs 'hooked N class(es) whose definition was in flight'): see 'jlivepatch status "
                + pid + "'. One defined at its thread's stack edge stays so: 'jlivepatch unload " + pid + " "
                + Text.clean(name) + "' and a new load hook it";
    }

    /**
     * The warning after "enabled ..., patching complete" when some of the patch's functions failed (a
     * patch class whose static initializer threw, a replacement that does not fit a class loader's copy):
     * there the method runs the version below the patch or its own code, which "complete" alone hid;
     * {@code null} when none failed.
     */
    static String failedWarning(long pid, String name, int failed, int total) {
        if (failed == 0) {
            return null;
        }
        return "warning: " + failed + " of " + total + " function(s) (per class loader) FAILED: there the method"
                + " runs the version below this patch, or its own code, not this patch's ('jlivepatch status " + pid
                + "' shows why; 'jlivepatch unload " + pid + " " + Text.clean(name) + "' takes the patch off)";
    }

    /**
     * The warnings to print after "enabled ..., patching complete" for the function lines {@code lines}
     * of the enabled patch {@code name}: {@link #failedWarning}, then {@link #notPatchedWarning}, those
     * that apply. One place for both so that load (under every function line) and enable (under the
     * flagged ones) say the same and exit 5 on the same lines.
     */
    static java.util.List<String> warnings(long pid, String name, String[] lines,
                                           java.util.function.BooleanSupplier stillEnabled) {
        java.util.List<String> out = new java.util.ArrayList<>(2);
        String failed = failedWarning(pid, name, failedFunctions(lines).size(), lines.length);
        if (failed != null) {
            out.add(failed);
        }
        String unhooked = notPatchedWarning(pid, name, notPatchedFunctions(lines).size(), lines.length);
        if (unhooked != null) {
            out.add(unhooked);
        }
        // Read after the lines, as they describe the patch only while it is still enabled: another operation
        // (a watch's reconcile, another operator) that disabled or unregistered it after this command's
        // transition ended leaves every function "not patched", which is no failure of this change.
        if (!out.isEmpty() && !stillEnabled.getAsBoolean()) {
            return java.util.List.of(takenOffSince(pid, name));
        }
        return out;
    }

    /** What {@link #warnings} says instead when the patch was taken off after its transition ended. */
    static String takenOffSince(long pid, String name) {
        return "note: another operation has taken '" + Text.clean(name) + "' off since its transition ended, so these"
                + " lines no longer describe it ('jlivepatch status " + pid + "' shows it and the audit log who asked)";
    }

    /**
     * The note, on standard error, when another operation unregistered the patch after this command's
     * {@code change} had taken effect and been said to, before the command's reads of it that follow:
     * the command exits with the code of what it did, not 4 (unknown outcome), which would contradict
     * what it printed ({@link ControlChannel#unregisteredSince}).
     */
    static String unregisteredSince(long pid, String name, String change) {
        return unregisteredAfter(pid, name, "this command's " + change + " took effect");
    }

    /** As {@link #unregisteredSince}, since {@code what} (e.g. {@code this command found it disabled already}). */
    static String unregisteredAfter(long pid, String name, String what) {
        return "jlivepatch: note: another operation (another operator, a JMX client, a watch's reconcile) has"
                + " unregistered '" + Text.clean(name) + "' since " + what + ", so what follows was not read:"
                + " 'jlivepatch status " + pid + "' shows what runs now, and the audit log who asked";
    }

    /** Whether the warnings of {@code lines} hold: {@code false} for a note ({@link #takenOffSince}) alone. */
    static boolean failing(java.util.List<String> warnings) {
        return !warnings.isEmpty() && !warnings.get(0).startsWith("note: ");
    }

    /**
     * Whether {@code name} is registered and enabled now; {@code false} when another operation has
     * unregistered it since this command's change ({@link ControlChannel#unregisteredSince}). Any other
     * failure of the read (no answer, a closed connection) is thrown as it is: it tells nothing of the
     * patch, and taken as "taken off" it made a FAILED function no failure (exit 0 where 5 may hold).
     */
    static boolean enabledNow(TargetJvm jvm, String name) {
        try {
            return jvm.patch(name).isEnabled();
        } catch (RuntimeException e) {
            if (ControlChannel.unregisteredSince(e)) {
                return false; // taken off
            }
            throw e; // an OutcomeUnknown after this command's change: exit 4
        } catch (Refused e) {
            // Thrown before any change of this command only (after one, every failure is an OutcomeUnknown),
            // and the warnings read this after one: exit 1, nothing changed.
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * Prints the failed and the not patched function lines of {@code name} and their {@link #warnings},
     * if any; whether there was any.
     */
    static boolean printFailed(java.io.PrintWriter out, java.io.PrintWriter err, TargetJvm jvm, String name)
            throws Refused {
        String[] lines;
        try {
            lines = jvm.patch(name).getFunctions();
        } catch (RuntimeException e) {
            // Told after the enable is done and said so: a patch unloaded meanwhile (a watch's reconcile,
            // another operator) has no lines, which makes no done enable a failure. Any other failure of
            // the read (no answer, a closed connection) leaves unknown whether a function FAILED: exit 4,
            // as load's same read (it exited 0, silent).
            if (!ControlChannel.unregisteredSince(e)) {
                throw TargetJvm.refusal(e);
            }
            err.println(unregisteredSince(jvm.pid(), name, "enable"));
            return false;
        }
        for (String line : failedFunctions(lines)) {
            out.println("  " + line);
        }
        for (String line : notPatchedFunctions(lines)) {
            out.println("  " + line);
        }
        java.util.List<String> warnings = warnings(jvm.pid(), name, lines, () -> enabledNow(jvm, name));
        for (String warning : warnings) {
            out.println("  " + warning);
        }
        return failing(warnings);
    }

    /**
     * Once the transition has ended: what to say when the patch is not in the state this command
     * asked for (another operation reversed it before the transition ended), or null when it is.
     * The command then exits 1: its change did not last.
     */
    static String undone(TargetJvm jvm, String name, boolean enabled) throws Refused {
        boolean now;
        try {
            now = jvm.patch(name).isEnabled();
        } catch (RuntimeException e) {
            throw TargetJvm.refusal(e);
        }
        if (now == enabled) {
            return null;
        }
        return (enabled ? "enabled" : "disabled") + " in pid " + jvm.pid() + ", but another operation "
                + (enabled ? "disabled" : "enabled") + " it again before its transition ended: it is "
                + (now ? "enabled" : "disabled") + " now ('jlivepatch status " + jvm.pid() + "' shows it and the"
                + " audit log who asked)";
    }

    /**
     * Where another operation unregistered the patch after this command's change and its transition had
     * ended, before the command's look that follows (whether a disable lasted, the forced mark and callback
     * failures of a change that lasted, unload's unregister; an enable's: {@link #enabledThenUnregistered}): what
     * the command did and saw end ({@code line}, {@link #completed}), then the note
     * ({@link #unregisteredSince}); it exited 4 (unknown outcome) with nothing printed. A disable that
     * another operation reversed before it ended was disabled again before that unregister: off either way.
     *
     * @param e thrown by that look: any other failure than "not registered" is thrown as it is (exit 4)
     * @return {@link Main#DONE}
     */
    static int endedThenUnregistered(java.io.PrintWriter out, java.io.PrintWriter err, TargetJvm jvm, String name,
                                     String line, String change, ControlChannel.OutcomeUnknown e) {
        if (!ControlChannel.unregisteredSince(e)) {
            throw e;
        }
        out.println(line);
        err.println(unregisteredSince(jvm.pid(), name, change));
        return Main.DONE;
    }

    /**
     * Where the look whether an enable lasted, once its transition had ended, finds the patch unregistered
     * since: unregistering takes a disable first, which may have reversed this enable before its transition
     * ended (nothing then was patched, and exit 1 would say so) or come after it (patching complete, exit
     * 0). Which one was not read: what is known is printed, and the outcome stays unknown (exit 4,
     * {@code e}'s message), where "patching complete" and exit 0 could be false.
     *
     * @return {@code e}, to throw
     */
    static ControlChannel.OutcomeUnknown enabledThenUnregistered(java.io.PrintWriter out, TargetJvm jvm, String name,
                                                                 long ms, ControlChannel.OutcomeUnknown e) {
        if (ControlChannel.unregisteredSince(e)) {
            out.println("'" + Text.clean(name) + "': enabled in pid " + jvm.pid() + ", transition ended in " + ms
                    + " ms, but another operation has unregistered it since, and may have disabled it before the"
                    + " transition ended: whether patching completed was not read");
        }
        return e;
    }

    /**
     * What to add to "complete" when another operation forced the transition this command waited
     * for: it ended, but without the consistency model's guarantee ({@link TargetJvm.Marks#forced}
     * before the change and once its transition ended).
     */
    static String forcedMeanwhile(boolean forcedBefore, boolean forcedNow) {
        return !forcedBefore && forcedNow ? " (forced by another operation: threads that were in the old code"
                + " then may still run it)" : "";
    }

    static void unregister(TargetJvm jvm, String name) throws Refused {
        try {
            jvm.patch(name).unregister();
        } catch (RuntimeException e) {
            throw TargetJvm.refusal(e);
        }
    }
}
