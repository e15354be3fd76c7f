package io.jlivepatch.internal.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The JSON string decoder the thread dump's reader and the command's status reader share. */
class JsonReadStringTest {

    private static String read(String s) throws Json.Malformed {
        StringBuilder out = new StringBuilder();
        assertEquals(s.length(), Json.readString(s, 0, out), s);
        return out.toString();
    }

    @Test
    void readsBackWhatStringWrites() throws Json.Malformed {
        String text = "a\"b\\c\n\r\t\u0000\u001b\u007f\u0085\u2028\u202e\ud800x\ud83d\ude00 é";
        assertEquals(text, read(Json.string(text)));
        assertEquals("\"\\/\b\f\n\r\tAé", read("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00E9\""));
        StringBuilder out = new StringBuilder();
        assertEquals(5, Json.readString("x:\"a\",\"b\"", 2, out), "the index after its closing quote");
        assertEquals("a", out.toString());
    }

    /** Four ASCII hex digits, no sign (Integer.parseInt's), no other script's digits (Character.digit's). */
    @Test
    void aUnicodeEscapeTakesFourAsciiHexDigitsOnly() {
        for (String bad : new String[] {"\"\\u+123\"", "\"\\u-123\"", "\"\\u12g4\"", "\"\\u\uff11\uff12\uff13\uff14\"",
                "\"\\u\u0661\u0662\u0663\u0664\""}) {
            Json.Malformed e = assertThrows(Json.Malformed.class, () -> read(bad), bad);
            assertEquals("has a bad escape at offset 3", e.getMessage(), bad);
        }
        assertEquals("ends inside an escape", assertThrows(Json.Malformed.class, () -> read("\"\\u12")).getMessage());
    }

    @Test
    void onlyJsonsEscapesAreEscapesAndACutStringIsNone() {
        assertEquals("has a bad escape at offset 2", assertThrows(Json.Malformed.class, () -> read("\"\\q\""))
                .getMessage());
        assertEquals("has a bad escape at offset 2", assertThrows(Json.Malformed.class, () -> read("\"\\'\""))
                .getMessage());
        assertEquals("ends inside a string", assertThrows(Json.Malformed.class, () -> read("\"abc")).getMessage());
        assertEquals("ends inside a string", assertThrows(Json.Malformed.class, () -> read("\"abc\\")).getMessage());
        assertEquals("has no string at offset 0", assertThrows(Json.Malformed.class, () -> read("abc")).getMessage());
        assertEquals("has no string at offset 0", assertThrows(Json.Malformed.class, () -> read("")).getMessage());
    }
}
