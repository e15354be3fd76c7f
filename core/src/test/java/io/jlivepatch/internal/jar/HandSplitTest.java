package io.jlivepatch.internal.jar;

import io.jlivepatch.Patch;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The manifest's lines and words, the patch name and the hidden class name are checked by hand
 * rather than by regular expressions (a cold JVM's first Pattern cost every start-up patch, issue
 * 14): each is compared here with the expression it replaces, over the edge cases and over random
 * strings of the characters that matter, so that nothing a JAR or a caller gives is read otherwise.
 */
class HandSplitTest {

    private static final String ALPHABET = "aZ09_.-/x, \t\n\u000B\f\r\u0001:é";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern HIDDEN_CLASS_NAME = Pattern.compile("[^/]+/0x[0-9a-fA-F]+");

    private static List<String> samples(String alphabet, int count, int maxLength, long seed) {
        Random r = new Random(seed);
        List<String> out = new ArrayList<>(List.of("", " ", ",", "\n", "\r", "\r\n", "\n\r", "a\n\nb\n", "\r\n\r\n",
                "a,b", " a , b ", "a\r\nb\rc\nd\n\ne", "\u0001a b\u0001", "a".repeat(64), "a".repeat(65),
                "com.acme.Foo/0x0000000800c01234", "com.acme.Foo/0x", "/0x12", "a/0x12/0x3", "a/0X12", "a/0xG",
                "a//0x1", "a/0x1f", "a/0xAbC"));
        for (int i = 0; i < count; i++) {
            StringBuilder sb = new StringBuilder();
            int n = r.nextInt(maxLength + 1);
            for (int j = 0; j < n; j++) {
                sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
            }
            out.add(sb.toString());
        }
        return out;
    }

    @Test
    void wordsAreWhatTheRegularExpressionSplitGave() {
        for (String s : samples(ALPHABET, 20_000, 12, 1)) {
            List<String> expected = new ArrayList<>();
            for (String w : s.trim().split("[\\s,]+")) {
                if (!w.isEmpty()) {
                    expected.add(w);
                }
            }
            assertEquals(expected, PatchJar.words(s), () -> "words of '" + s + "'");
        }
    }

    @Test
    void mainSectionLinesAreWhatTheRegularExpressionSplitGave() {
        for (String s : samples("ab: \r\n", 20_000, 14, 2)) {
            List<String> expected = new ArrayList<>();
            for (String line : s.split("\r\n|\r|\n")) {
                if (line.isEmpty()) {
                    break;
                }
                expected.add(line);
            }
            assertEquals(expected, PatchJar.mainSectionLines(s), () -> "lines of '" + s.replace("\r", "\\r")
                    .replace("\n", "\\n") + "'");
        }
    }

    @Test
    void patchNamesAreValidAsTheRegularExpressionSaid() {
        List<String> names = samples(ALPHABET, 20_000, 8, 3);
        names.addAll(Arrays.asList("a".repeat(63), "Z".repeat(64), "-".repeat(65), "fix-1.2_b"));
        for (String s : names) {
            assertEquals(NAME.matcher(s).matches(), Patch.isValidName(s), () -> "name '" + s + "'");
        }
        assertEquals(false, Patch.isValidName(null));
    }

    @Test
    void hiddenClassNamesAreAcceptedAsTheRegularExpressionSaid() throws Exception {
        Method m = String.class.getMethod("valueOf", Object.class);
        for (String s : samples("a/0x1fG.$", 20_000, 10, 4)) {
            boolean expected = !s.isBlank() && (!s.contains("/") || HIDDEN_CLASS_NAME.matcher(s).matches());
            boolean accepted;
            try {
                new Patch.Replacement(s, "m", "()V", m);
                accepted = true;
            } catch (IllegalArgumentException e) {
                accepted = !e.getMessage().contains("is not a binary class name");
            }
            assertEquals(expected, accepted, () -> "class name '" + s + "'");
        }
    }
}
