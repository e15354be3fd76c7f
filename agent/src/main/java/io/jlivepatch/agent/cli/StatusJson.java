package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.control.Json;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One patch's object in the target's {@code status --json} text, for the few fields a command reads there
 * (a forced mark, callback failures, the closing callback running, the provenance that load --wait's look
 * reads): the one place the command reads that JSON. The whole text is parsed, strictly, so that no patch's
 * own words (a description, an exception's message, escaped as they are) can be read as a field, and text
 * that is not JSON ({@link #UNREADABLE}) holds no patch: each reader then answers as for an agent without
 * the field. A field's absence only ever decides a warning, or (load --wait's look) that the command waits
 * for its call's answer as without the look; a status that lists its patches without this one
 * ({@link #NOT_LISTED}) says that it is not registered.
 */
final class StatusJson {

    /** A status, well formed, whose {@code patches} does not list the patch: it is not registered. */
    static final StatusJson NOT_LISTED = new StatusJson(Map.of());

    /** Text that is not JSON, or has no {@code patches} list: nothing is known of the patch. */
    static final StatusJson UNREADABLE = new StatusJson(Map.of());

    /** JSON {@code null}, told apart from an absent field. */
    private static final Object NULL = new Object();

    /** A value checked but not built: inside a patch's lists and objects. */
    private static final Object SKIPPED = new Object();

    /**
     * The depth of the patches' objects (status, its {@code patches}, each patch): the lists built. An object is
     * built one level deeper, so that a patch's own objects ({@code provenance}, which {@code load --wait}'s look
     * reads) are, but never the entries of a patch's lists, nor what lies further in.
     */
    private static final int KEPT_DEPTH = 2;

    /** Deeper nesting than status has is no status: it would only cost stack. */
    private static final int MAX_DEPTH = 32;

    /** A number, as written; only {@link #count} reads one. */
    private record JsonNumber(String text) {
    }

    private final Map<String, Object> fields;

    private StatusJson(Map<String, Object> fields) {
        this.fields = fields;
    }

    /**
     * The object of {@code patch} in {@code status}'s {@code patches}; {@link #NOT_LISTED} when that list
     * lacks it, {@link #UNREADABLE} when there is no such list.
     */
    static StatusJson patch(String status, String patch) {
        Object top;
        try {
            Parser p = new Parser(status);
            top = p.value(0, true);
            p.end();
        } catch (Json.Malformed e) {
            return UNREADABLE;
        }
        if (!(top instanceof Map<?, ?> m) || !(m.get("patches") instanceof List<?> patches)) {
            return UNREADABLE;
        }
        for (Object o : patches) {
            if (o instanceof Map<?, ?> object && patch.equals(object.get("name"))) {
                @SuppressWarnings("unchecked")
                Map<String, Object> fields = (Map<String, Object>) object;
                return new StatusJson(fields);
            }
        }
        return NOT_LISTED;
    }

    /** The field's string; {@code null} when it is absent, {@code null} or no string. */
    String string(String field) {
        return fields.get(field) instanceof String s ? s : null;
    }

    /** The field's object, to read fields of in turn; {@link #NOT_LISTED} when it is absent or no object. */
    StatusJson object(String field) {
        if (fields.get(field) instanceof Map<?, ?> m) {
            @SuppressWarnings("unchecked")
            Map<String, Object> inner = (Map<String, Object>) m;
            return new StatusJson(inner);
        }
        return NOT_LISTED;
    }

    /** Whether the field is there and {@code null}. */
    boolean isNull(String field) {
        return fields.get(field) == NULL;
    }

    /** Whether the field is {@code true}. */
    boolean isTrue(String field) {
        return Boolean.TRUE.equals(fields.get(field));
    }

    /** The field's boolean; {@code null} when it is absent or no boolean. */
    Boolean bool(String field) {
        return fields.get(field) instanceof Boolean b ? b : null;
    }

    /** The field as a count: a whole number, 0 or more, that a long holds; -1 when it is absent or not one. */
    long count(String field) {
        if (!(fields.get(field) instanceof JsonNumber n) || !n.text().chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        try {
            return Long.parseLong(n.text()); // ASCII digits only: no sign, fraction or exponent
        } catch (NumberFormatException tooLarge) {
            return -1;
        }
    }

    /** RFC 8259, nothing more: ASCII digits, JSON's escapes and literals, no trailing text. */
    private static final class Parser {
        private final String s;
        private int i;
        /** Where each string is decoded, one at a time. */
        private final StringBuilder scratch = new StringBuilder();

        Parser(String s) {
            this.s = s;
        }

        /**
         * The value at {@code i}, checked whole; built only where {@code keep} ({@link #SKIPPED} elsewhere),
         * and a list or an object only down to the patches' own ({@link #KEPT_DEPTH}): what lies inside a
         * patch's functions, loaders and threads is read by no command, and building it cost a status of
         * thousands of functions seconds and tens of megabytes.
         */
        Object value(int depth, boolean keep) throws Json.Malformed {
            if (depth > MAX_DEPTH) {
                throw new Json.Malformed("nests deeper than " + MAX_DEPTH + " at offset " + i);
            }
            space();
            char c = i < s.length() ? s.charAt(i) : 0;
            if (c == '{') {
                return object(depth, keep && depth <= KEPT_DEPTH + 1);
            }
            if (c == '[') {
                i++;
                boolean kept = keep && depth <= KEPT_DEPTH;
                List<Object> list = kept ? new ArrayList<>() : null;
                if (!next(']')) {
                    do {
                        Object v = value(depth + 1, kept);
                        if (kept) {
                            list.add(v);
                        }
                    } while (next(','));
                    expect(']');
                }
                return kept ? list : SKIPPED;
            }
            if (c == '"') {
                scratch.setLength(0);
                i = Json.readString(s, i, scratch);
                return keep ? scratch.toString() : SKIPPED;
            }
            for (String literal : new String[] {"true", "false", "null"}) {
                if (s.startsWith(literal, i)) {
                    i += literal.length();
                    return literal.equals("null") ? NULL : Boolean.valueOf(literal);
                }
            }
            JsonNumber n = number();
            return keep ? n : SKIPPED;
        }

        /** An object, as a map of its keys when {@code keep}; its keys are checked (none twice) either way. */
        private Object object(int depth, boolean keep) throws Json.Malformed {
            i++;
            Map<String, Object> m = new LinkedHashMap<>();
            if (next('}')) {
                return keep ? m : SKIPPED;
            }
            do {
                space();
                int at = i;
                scratch.setLength(0);
                i = Json.readString(s, i, scratch);
                String key = scratch.toString();
                expect(':');
                if (m.putIfAbsent(key, value(depth + 1, keep)) != null) {
                    throw new Json.Malformed("has the key " + key + " twice at offset " + at);
                }
            } while (next(','));
            expect('}');
            return keep ? m : SKIPPED;
        }

        private JsonNumber number() throws Json.Malformed {
            int start = i;
            skip('-');
            if (!skip('0')) {
                digits(); // 1-9 first: no leading zero
            }
            if (skip('.')) {
                digits();
            }
            if (skip('e') || skip('E')) {
                if (!skip('+')) {
                    skip('-');
                }
                digits();
            }
            return new JsonNumber(s.substring(start, i));
        }

        /** One ASCII digit or more. */
        private void digits() throws Json.Malformed {
            int start = i;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
            }
            if (i == start) {
                throw new Json.Malformed("has no value at offset " + start);
            }
        }

        private boolean skip(char c) {
            if (i < s.length() && s.charAt(i) == c) {
                i++;
                return true;
            }
            return false;
        }

        private boolean next(char c) {
            space();
            return skip(c);
        }

        private void expect(char c) throws Json.Malformed {
            if (!next(c)) {
                throw new Json.Malformed("has no '" + c + "' at offset " + i);
            }
        }

        void end() throws Json.Malformed {
            space();
            if (i < s.length()) {
                throw new Json.Malformed("goes on after its value at offset " + i);
            }
        }

        private void space() {
            while (i < s.length() && " \t\r\n".indexOf(s.charAt(i)) >= 0) {
                i++;
            }
        }
    }
}
