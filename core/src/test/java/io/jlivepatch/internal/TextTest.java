package io.jlivepatch.internal;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextTest {

    @Test
    void printableTextIsReturnedAsItIs() {
        String s = "fix-greet: C:\\Temp\\fix.jar caf\u00e9 \u65e5\u672c \ud83d\ude00 /tmp/x.jar";
        assertSame(s, Text.clean(s));
        assertSame(s, Text.cleanLines(s));
    }

    @Test
    void controlsSeparatorsAndFormatCharactersAreEscaped() {
        assertEquals("a\\nb\\rc\\td\\e[31m", Text.clean("a\nb\rc\td\u001b[31m"));
        assertEquals("\\u0000\\u0007\\u007f\\u0085\\u009b", Text.clean("\u0000\u0007\u007f\u0085\u009b"));
        assertEquals("x\\u2028y\\u2029z", Text.clean("x\u2028y\u2029z"));
        assertEquals("\\u202egnp.exe \\u200b\\u200d\\ufeff\\u2066", Text.clean("\u202egnp.exe \u200b\u200d\ufeff\u2066"));
        assertEquals("\\ud800 \\udc00", Text.clean("\ud800 \udc00"), "unpaired surrogates");
        assertEquals("\\udb40\\udc01", Text.clean(new String(Character.toChars(0xE0001))), "a supplementary format character");
    }

    @Test
    void aBackslashIsDoubledOnlyWhereItWouldReadAsAnEscape() {
        assertEquals("C:\\\\nightly\\\\u\\Temp\\\\\\x", Text.clean("C:\\nightly\\u\\Temp\\\\x"));
        assertEquals("\\\\\\n", Text.clean("\\\n"), "a backslash before an escaped character");
        assertEquals("end\\", Text.clean("end\\"));
    }

    @Test
    void cleaningIsReversible() {
        String[] tricky = {"", "\\", "\\\\", "\\n", "\n", "\\\n", "\\u2028", "\u2028", "\\e\u001b", "a\\b", "\\\ud800",
                "\ud83d\ude00\\", "\\\\\\u0041"};
        for (String s : tricky) {
            assertEquals(s, unclean(Text.clean(s)), "round trip of " + Text.clean(s));
        }
        Random random = new Random(42);
        char[] alphabet = {'a', 'n', 'u', 'e', 'r', 't', '0', '\\', '\n', '\r', '\t', '\u001b', '\u007f', '\u0085',
                '\u2028', '\u2029', '\u202e', '\ud83d', '\ude00', '\u00e9'};
        for (int i = 0; i < 20_000; i++) {
            char[] s = new char[random.nextInt(12)];
            for (int j = 0; j < s.length; j++) {
                s[j] = alphabet[random.nextInt(alphabet.length)];
            }
            String text = new String(s);
            String clean = Text.clean(text);
            assertEquals(text, unclean(clean), "round trip of " + clean);
            assertTrue(clean.chars().allMatch(c -> c >= 0x20 && c < 0x7f || c == '\u00e9' || Character.isSurrogate((char) c)),
                    "only printable characters in " + clean);
        }
    }

    @Test
    void cleanLinesKeepsLineFeedsAndLeavesCleanTextAlone() {
        String clean = Text.clean("a\nb\\nc\u2028") + "\n" + Text.clean("\u001b[2J") + "\n";
        assertSame(clean, Text.cleanLines(clean));
        assertEquals("one\ntwo\\e[1m\\u2028\\rthree\n", Text.cleanLines("one\ntwo\u001b[1m\u2028\rthree\n"));
    }

    @Test
    void truncationMarksTheCutAndTheWholeLength() {
        assertEquals("abc\u2026(truncated, 10 chars)", Text.truncate("abcdefghij", 3));
        String s = "ab\ud83d\ude00cd";
        assertEquals("ab\u2026(truncated, 6 chars)", Text.truncate(s, 3), "never inside a surrogate pair");
        assertSame(s, Text.truncate(s, 6));
        assertFalse(Text.clean(Text.truncate("x\n".repeat(100), 10)).contains("\n"));
    }

    /** The decoder the scheme promises is possible: the escapes of Text's comment, a backslash before anything else is itself. */
    static String unclean(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 == s.length()) {
                sb.append(c);
                continue;
            }
            char next = s.charAt(i + 1);
            switch (next) {
                case '\\': sb.append('\\'); i++; break;
                case 'n': sb.append('\n'); i++; break;
                case 'r': sb.append('\r'); i++; break;
                case 't': sb.append('\t'); i++; break;
                case 'e': sb.append('\u001b'); i++; break;
                case 'u': sb.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16)); i += 5; break;
                default: sb.append('\\');
            }
        }
        return sb.toString();
    }
}
