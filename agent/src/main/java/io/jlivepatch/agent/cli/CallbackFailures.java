package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.control.Json;

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

    private static final String LAST = ",\"lastCallbackFailure\":";
    private static final String COUNT = ",\"callbackFailures\":";

    private CallbackFailures() {
    }

    /**
     * The failures of {@code patch} in {@code statusJson}; {@link #NONE} when it lists no such patch, or
     * lacks the fields (an agent before them): the answer only decides a warning.
     */
    static Seen in(String statusJson, String patch) {
        // The patch's object starts with its name and description; every string is escaped, so a field's
        // name cannot appear inside one, and the first one after that start is the patch's own.
        String at = "{\"name\":" + Json.string(patch) + ",\"description\":";
        int start = statusJson.indexOf(at);
        int i = start < 0 ? -1 : statusJson.indexOf(LAST, start + at.length());
        if (i < 0) {
            return NONE;
        }
        i += LAST.length();
        String last;
        if (statusJson.startsWith("null", i)) {
            last = null;
            i += 4;
        } else {
            StringBuilder sb = new StringBuilder();
            i = string(statusJson, i, sb);
            if (i < 0) {
                return NONE;
            }
            last = sb.toString();
        }
        if (!statusJson.startsWith(COUNT, i)) {
            return NONE;
        }
        int from = i + COUNT.length();
        int to = from;
        while (to < statusJson.length() && Character.isDigit(statusJson.charAt(to)) && to - from < 18) {
            to++;
        }
        return to == from ? NONE : new Seen(Long.parseLong(statusJson.substring(from, to)), last);
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

    /** Decodes the JSON string at {@code i} into {@code out}; the index after it, or -1 when malformed. */
    static int string(String s, int i, StringBuilder out) {
        if (i >= s.length() || s.charAt(i) != '"') {
            return -1;
        }
        for (i++; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"') {
                return i + 1;
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (++i >= s.length()) {
                return -1;
            }
            switch (s.charAt(i)) {
                case '"': out.append('"'); break;
                case '\\': out.append('\\'); break;
                case '/': out.append('/'); break;
                case 'b': out.append('\b'); break;
                case 'f': out.append('\f'); break;
                case 'n': out.append('\n'); break;
                case 'r': out.append('\r'); break;
                case 't': out.append('\t'); break;
                case 'u':
                    if (i + 4 >= s.length()) {
                        return -1;
                    }
                    try {
                        out.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                    } catch (NumberFormatException e) {
                        return -1;
                    }
                    i += 4;
                    break;
                default:
                    return -1;
            }
        }
        return -1;
    }
}
