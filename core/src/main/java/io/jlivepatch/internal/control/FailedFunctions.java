package io.jlivepatch.internal.control;

import io.jlivepatch.FunctionStatus;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.patch.LoaderNames;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which of a patch's (function, class loader) lines are failing: one decision for the exit 5 of
 * {@code jlivepatch load}/{@code enable}, which reads the lines over JMX, and for
 * {@code PatchMBean.getFailedFunctions}, which counts the states in the target. A line fails when the
 * patch is enabled, its transition has ended, and its state is
 * <ul>
 * <li>{@code FAILED}: the method could not be hooked in that loader, or the replacement does not
 * fit its copy, or a patch class's static initializer threw; there the method runs the version
 * below the patch or its own code;</li>
 * <li>{@code NOT_PATCHED}: its class is loaded in that loader but not hooked, and runs its own
 * code. It happens when the class's definition passed jlivepatch's hook before the enable and
 * finished only after the enable's look at the loaded classes (another agent's transformer that
 * held it, say), or at its thread's stack edge (README, "Failures").</li>
 * </ul>
 * Of a disabled patch, or one in transition (until its closing callbacks have returned, as
 * {@code PatchHandle.inTransition} and the command's wait go by), no line fails: every function of a
 * disabled patch is not patched, and a transition moves them.
 */
public final class FailedFunctions {

    /** A function line whose state is FAILED: {@code target [loader]: failed (why)}. */
    private static final Pattern FAILED_LINE = line(FunctionStatus.State.FAILED);
    /** A function line whose state is NOT_PATCHED: {@code target [loader]: not patched}. */
    private static final Pattern NOT_PATCHED_LINE = line(FunctionStatus.State.NOT_PATCHED);

    private FailedFunctions() {
    }

    /** The state as a function line ({@link StatusReport#functionLines}) writes it: {@code not patched}. */
    static String word(FunctionStatus.State state) {
        return state.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    /**
     * The state after the loader's name, then nothing or the detail in parentheses. The name is where
     * {@code LoaderNames} ends it: {@code bootstrap}, the one said of a name that could not be read, or
     * the first {@code @<identity hash>]: } (an application names its loaders: one whose name holds
     * {@code "]: "} ended at the first {@code "]: "} made a FAILED line of it not count, and a line
     * of a loader named {@code x]: failed (y} count, where the target's attribute counts the states).
     */
    private static Pattern line(FunctionStatus.State state) {
        return Pattern.compile("[^ ]* \\[(?:bootstrap|" + Pattern.quote(LoaderNames.UNREADABLE)
                + "|(?:(?!@[0-9a-f]+\\]: ).)*@[0-9a-f]+)\\]: " + Pattern.quote(word(state)) + "(?: \\(.*)?");
    }

    /** Of the function lines {@code lines} (cleaned, as the target gives them), those whose state is FAILED. */
    public static List<String> failed(String[] lines) {
        return matching(lines, FAILED_LINE);
    }

    /** Of the function lines {@code lines} of an enabled patch, those whose class is loaded but not hooked. */
    public static List<String> notPatched(String[] lines) {
        return matching(lines, NOT_PATCHED_LINE);
    }

    private static List<String> matching(String[] lines, Pattern state) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            if (line != null && state.matcher(line).matches()) {
                out.add(line);
            }
        }
        return out;
    }

    /** Whether a line in {@code state} of an enabled patch whose transition has ended fails. */
    static boolean failing(FunctionStatus.State state) {
        return state == FunctionStatus.State.FAILED || state == FunctionStatus.State.NOT_PATCHED;
    }

    /**
     * How many of {@code patch}'s lines fail now: counted from the states, without the text of the
     * lines, since a scrape reads it every few seconds. The patch's state is read before and after the
     * functions, as the CLI reads it after the lines: a patch disabled or in a transition meanwhile
     * counts none.
     */
    static int count(PatchHandle patch) {
        if (!patch.isEnabled() || patch.inTransition()) {
            return 0;
        }
        int failing = 0;
        for (FunctionStatus f : patch.functions()) {
            for (FunctionStatus.LoaderStatus l : f.loaders()) {
                if (failing(l.state())) {
                    failing++;
                }
            }
        }
        return patch.isEnabled() && !patch.inTransition() ? failing : 0;
    }
}
