package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;

/**
 * A patch's callback failures as the target's {@code status --json} gives them, so that a change whose
 * {@code postPatch}, {@code preUnpatch} or {@code postUnpatch} threw says so: those callbacks cannot stop
 * the change, and the failure was otherwise only in the target's log, its audit file and {@code status},
 * which lists a patch no more once {@code unload} has unregistered it.
 */
final class CallbackFailures {

    /** How many of a patch's callbacks had failed, and the last failure's text ({@code null}: none). */
    record Seen(long count, String last) {
    }

    static final Seen NONE = new Seen(0, null);

    private static final String LAST = "lastCallbackFailure";
    private static final String COUNT = "callbackFailures";

    private CallbackFailures() {
    }

    /**
     * The failures of {@code patch} in {@code statusJson}; {@link #NONE} when it lists no such patch, or
     * lacks the fields (an agent before them): the answer only decides a warning.
     */
    static Seen in(String statusJson, String patch) {
        return of(StatusJson.patch(statusJson, patch));
    }

    /** The failures of a patch's status object; {@link #NONE} as for {@link #in}. */
    static Seen of(StatusJson patch) {
        long count = patch.count(COUNT);
        String last = patch.string(LAST);
        return count < 0 || (last == null && !patch.isNull(LAST)) ? NONE : new Seen(count, last);
    }

    /**
     * The line saying that a change's callbacks failed: those of {@code after} beyond {@code before}; or
     * {@code null} when none did.
     */
    static String warning(Seen before, Seen after) {
        long failed = after.count() - before.count();
        if (failed <= 0 || after.last() == null) {
            return null;
        }
        return "  warning: " + (failed == 1 ? "a callback of the patch failed: " : failed + " callbacks of the patch"
                + " failed, the last: ") + Text.clean(after.last()) + " (it could not stop the change, which was made;"
                + " what it was to do may not have been done: the target's log has its stack trace)";
    }
}
