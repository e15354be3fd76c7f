package io.jlivepatch.internal;

/**
 * Makes untrusted text safe for a terminal, a log line or an audit entry: every character that could
 * move the cursor, end a line, recolour a terminal or reorder what a reader sees is written as a
 * visible escape. Patch names, paths, descriptions, thread names and exception messages come from
 * patch authors, operators and applications; none of them may forge a log line or reach a terminal
 * raw.
 *
 * <p>The scheme ({@link #clean}), reversible and unambiguous:
 * <table>
 * <caption>escapes</caption>
 * <tr><th>character</th><th>written as</th></tr>
 * <tr><td>line feed, carriage return, tab, escape (U+000A, U+000D, U+0009, U+001B)</td>
 *     <td>{@code \n}, {@code \r}, {@code \t}, {@code \e}</td></tr>
 * <tr><td>any other control (C0, DEL, C1 such as U+0085), line or paragraph separator (U+2028,
 *     U+2029), format character (bidi overrides such as U+202E, zero-width characters, U+FEFF),
 *     unpaired surrogate</td>
 *     <td>{@code \}{@code uXXXX}, four lower-case hex digits per UTF-16 unit</td></tr>
 * <tr><td>a backslash followed by {@code n r t e u} or by a backslash or by a character escaped
 *     here</td><td>{@code \\}</td></tr>
 * <tr><td>any other backslash, any other character</td><td>itself</td></tr>
 * </table>
 * So a Windows path such as {@code C:\Temp\fix.jar} is left as it is, and reading back is simple:
 * {@code \\}, {@code \n}, {@code \r}, {@code \t}, {@code \e} and {@code \}{@code uXXXX} are escapes,
 * a backslash before anything else is itself.
 */
public final class Text {

    private static final String HEX = "0123456789abcdef";

    /** Marks a cut field: {@code …(truncated, 1000000 chars)}. */
    static final String TRUNCATED = "\u2026(truncated, ";

    private Text() {
    }

    /**
     * {@code t}'s text ({@code toString}), or its class's name when that fails: a patch's exception
     * whose message throws is the patch's code too, and a failure to describe a failure must neither
     * skip what comes next (the other classes' callbacks, the application's call going on to the
     * version below) nor lose the record of this one. Whatever it throws: a patch's message may throw
     * an {@code Error} of its own, which otherwise went out of the enable or the transition's end
     * as if it were jlivepatch's (HostilePatchCodeTest).
     */
    public static String of(Throwable t) {
        try {
            return String.valueOf(t);
        } catch (Throwable e) {
            return t.getClass().getName() + " (whose message could not be read: " + e.getClass().getName() + ")";
        }
    }

    /** {@code s} with the escapes of the class comment; {@code s} itself when there is nothing to escape. */
    public static String clean(String s) {
        if (s == null) {
            return "null";
        }
        int first = firstToEscape(s, false);
        if (first < 0) {
            return s;
        }
        StringBuilder sb = new StringBuilder(s.length() + 16).append(s, 0, first);
        for (int i = first; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                sb.append(backslashNeedsEscape(s, i + 1) ? "\\\\" : "\\");
            } else if (needsEscape(s, i)) {
                escape(sb, c);
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /**
     * {@code text} with the unsafe characters of each line escaped, its {@code \n} line ends kept and
     * its backslashes left alone: for text whose fields were {@link #clean cleaned} already (a
     * status report, audit entries), which passes unchanged, from a jlivepatch that may not have.
     */
    public static String cleanLines(String text) {
        if (text == null) {
            return "null";
        }
        int first = firstToEscape(text, true);
        if (first < 0) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length() + 16).append(text, 0, first);
        for (int i = first; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != '\n' && needsEscape(text, i)) {
                escape(sb, c);
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /**
     * {@code s} cut to {@code max} characters (never inside a surrogate pair) and marked with
     * {@code …(truncated, N chars)}, N its whole length; {@code s} itself when it is short enough.
     * Cut before {@link #clean cleaning}, so that no escape is cut in half.
     */
    public static String truncate(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        int end = max;
        if (end > 0 && Character.isHighSurrogate(s.charAt(end - 1)) && Character.isLowSurrogate(s.charAt(end))) {
            end--;
        }
        return s.substring(0, end) + TRUNCATED + s.length() + " chars)";
    }

    /**
     * Whether the UTF-16 unit at {@code i} is written as an escape (a backslash aside): a control
     * (Cc: C0, DEL, C1), a format character (Cf: bidi controls, zero-width characters), a line or
     * paragraph separator, or half of a surrogate pair that is not there.
     */
    public static boolean needsEscape(String s, int i) {
        char c = s.charAt(i);
        if (c >= 0x20 && c < 0x7F) {
            return false; // printable ASCII, the common case
        }
        if (Character.isHighSurrogate(c)) {
            if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                return unsafe(Character.toCodePoint(c, s.charAt(i + 1)));
            }
            return true;
        }
        if (Character.isLowSurrogate(c)) {
            if (i > 0 && Character.isHighSurrogate(s.charAt(i - 1))) {
                return unsafe(Character.toCodePoint(s.charAt(i - 1), c));
            }
            return true;
        }
        return unsafe(c);
    }

    private static boolean unsafe(int codePoint) {
        switch (Character.getType(codePoint)) {
            case Character.CONTROL:
            case Character.FORMAT:
            case Character.LINE_SEPARATOR:
            case Character.PARAGRAPH_SEPARATOR:
                return true;
            default:
                return false;
        }
    }

    /**
     * The index of the first character to change, or -1: with {@code lines}, as {@link #cleanLines}
     * changes text (line feeds and backslashes kept), else as {@link #clean} does.
     */
    private static int firstToEscape(String s, boolean lines) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                if (!lines && backslashNeedsEscape(s, i + 1)) {
                    return i;
                }
            } else if (!(lines && c == '\n') && needsEscape(s, i)) {
                return i;
            }
        }
        return -1;
    }

    /** Whether a backslash before index {@code next} would read as the start of an escape. */
    private static boolean backslashNeedsEscape(String s, int next) {
        if (next >= s.length()) {
            return false;
        }
        char c = s.charAt(next);
        return c == 'n' || c == 'r' || c == 't' || c == 'e' || c == 'u' || c == '\\' || needsEscape(s, next);
    }

    private static void escape(StringBuilder sb, char c) {
        switch (c) {
            case '\n': sb.append("\\n"); break;
            case '\r': sb.append("\\r"); break;
            case '\t': sb.append("\\t"); break;
            case 0x1B: sb.append("\\e"); break;
            default: appendUnicodeEscape(sb, c);
        }
    }

    /** {@code \}{@code uXXXX}, as Java and JSON write it. */
    public static void appendUnicodeEscape(StringBuilder sb, char c) {
        sb.append("\\u");
        for (int shift = 12; shift >= 0; shift -= 4) {
            sb.append(HEX.charAt((c >> shift) & 0xF));
        }
    }
}
