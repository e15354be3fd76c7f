package io.jlivepatch.internal.control;

import io.jlivepatch.internal.Text;

/**
 * The few JSON constructs status needs (here and in the jlivepatch command), without a library inside
 * the agent: strings written, and read back ({@link #readString}, also for the JDK's thread dump). Beyond what JSON requires, every character that {@link Text#needsEscape} names (DEL, C1
 * controls such as U+0085, U+2028, U+2029, bidi and other format characters) is written as
 * {@code \}{@code uXXXX}: JSON allows them raw, but they end lines in JavaScript and line-based tools,
 * and reach a terminal that shows the output.
 */
public final class Json {

    private Json() {
    }

    public static String string(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (Text.needsEscape(s, i)) {
                        Text.appendUnicodeEscape(sb, c);
                    } else {
                        sb.append(c);
                    }
            }
        }
        return sb.append('"').toString();
    }

    /**
     * Text that holds no well-formed JSON string where one belongs; the message says what and where, to
     * follow the text's name ("the thread dump has a bad escape at offset 12").
     */
    public static final class Malformed extends Exception {

        private static final long serialVersionUID = 1L;

        public Malformed(String message) {
            super(message);
        }
    }

    /**
     * Decodes the JSON string that starts at {@code at} (its opening quote) of {@code s} into
     * {@code out}, strictly: a {@code \}{@code u} takes exactly four ASCII hex digits (no sign, no other
     * script's digits, as {@code Integer.parseInt} would take), and only JSON's escapes are escapes. A
     * control character written raw is kept, as every reader here took it (no writer of ours writes one).
     *
     * @return the index just after the closing quote
     * @throws Malformed when there is no string at {@code at}, or it is cut or holds a bad escape
     */
    public static int readString(CharSequence s, int at, StringBuilder out) throws Malformed {
        if (at >= s.length() || s.charAt(at) != '"') {
            throw new Malformed("has no string at offset " + at);
        }
        for (int i = at + 1; i < s.length(); ) {
            char c = s.charAt(i++);
            if (c == '"') {
                return i;
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (i >= s.length()) {
                break;
            }
            char e = s.charAt(i++);
            switch (e) {
                case '"', '\\', '/' -> out.append(e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (i + 4 > s.length()) {
                        throw new Malformed("ends inside an escape");
                    }
                    int code = 0;
                    for (int k = 0; k < 4; k++) {
                        int digit = hexDigit(s.charAt(i + k));
                        if (digit < 0) {
                            throw new Malformed("has a bad escape at offset " + i);
                        }
                        code = code << 4 | digit;
                    }
                    out.append((char) code);
                    i += 4;
                }
                default -> throw new Malformed("has a bad escape at offset " + (i - 1));
            }
        }
        throw new Malformed("ends inside a string");
    }

    /** The value of an ASCII hex digit, or -1 ({@code Character.digit} takes other scripts' digits too). */
    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }
}
