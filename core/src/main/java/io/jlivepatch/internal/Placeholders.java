package io.jlivepatch.internal;

import java.util.Locale;

/**
 * The part of {@link java.text.MessageFormat} jlivepatch's log messages use: {@code {n}} placeholders
 * and {@code ''} for a quote, with text, enum, exception and small-count parameters. Formatting these
 * without {@code MessageFormat} spares an application jlivepatch's first load into it from loading
 * {@code MessageFormat} and the number formatting behind it (issue 10: 14 classes on JDK 17, 45 on
 * JDK 25). Whatever this cannot format exactly as {@code MessageFormat} would, it leaves to it.
 */
final class Placeholders {

    private Placeholders() {
    }

    /**
     * {@code format} with its placeholders replaced as {@code MessageFormat.format} would, or null
     * when it has anything else: a quoted section, a placeholder with a format type, or a parameter
     * {@code MessageFormat} formats by locale (a date, or a number other than below).
     */
    static String format(String format, Object[] params) {
        StringBuilder sb = new StringBuilder(format.length() + 32);
        int i = 0;
        while (i < format.length()) {
            char c = format.charAt(i);
            if (c == '\'') {
                if (i + 1 < format.length() && format.charAt(i + 1) == '\'') {
                    sb.append('\'');
                    i += 2;
                    continue;
                }
                return null; // a quoted section
            }
            if (c != '{') {
                sb.append(c);
                i++;
                continue;
            }
            int end = i + 1;
            while (end < format.length() && format.charAt(end) >= '0' && format.charAt(end) <= '9') {
                end++;
            }
            if (end == i + 1 || end - i > 5 || end >= format.length() || format.charAt(end) != '}') {
                return null; // no index, one MessageFormat refuses (> 9999), a format type, spaces, not closed
            }
            int n = Integer.parseInt(format, i + 1, end, 10);
            if (n >= params.length) {
                sb.append('{').append(n).append('}'); // as MessageFormat: a missing argument stays as it is
            } else if (!append(sb, params[n])) {
                return null;
            }
            i = end + 1;
        }
        return sb.toString();
    }

    private static boolean append(StringBuilder sb, Object p) {
        if (p == null || p instanceof String) {
            sb.append((String) p);
        } else if (p instanceof Integer || p instanceof Long || p instanceof Short || p instanceof Byte) {
            long v = ((Number) p).longValue();
            // digits as NumberFormat writes them only where they are the same: no grouping below 1000,
            // no minus sign, and a locale whose digits are 0-9 (English, or the root locale)
            if (v < 0 || v >= 1000 || !asciiDigits(Locale.getDefault(Locale.Category.FORMAT))) {
                return false;
            }
            sb.append(v);
        } else if (p instanceof Number || p instanceof java.util.Date) {
            return false;
        } else {
            String s = p.toString();
            sb.append(s == null ? "null" : s);
        }
        return true;
    }

    private static boolean asciiDigits(Locale l) {
        // an extension (-u-nu-...) may choose other digits
        return !l.hasExtensions() && (l.getLanguage().isEmpty() || l.getLanguage().equals("en"));
    }
}
