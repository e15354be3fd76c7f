package io.jlivepatch.internal.control;

import io.jlivepatch.internal.Text;

/**
 * The few JSON constructs status needs (here and in the jlivepatch command), without a library inside
 * the agent. Beyond what JSON requires, every character that {@link Text#needsEscape} names (DEL, C1
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
}
