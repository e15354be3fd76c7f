package io.jlivepatch.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.jlivepatch.internal.control.Json;
import org.junit.jupiter.api.Test;

class CallbackFailuresTest {

    private static String patch(String name, String failure, long count) {
        return "{\"name\":" + Json.string(name) + ",\"description\":\"d\",\"stackOrder\":1,\"callbacks\":[\"a.B\"],"
                + "\"lastCallbackFailure\":" + (failure == null ? "null" : Json.string(failure))
                + ",\"callbackFailures\":" + count + ",\"provenance\":{}}";
    }

    private static String status(String... patches) {
        return "{\"pid\":1,\"patches\":[" + String.join(",", patches) + "]}";
    }

    @Test
    void readsThePatchsOwnFailuresNotAnotherPatchs() {
        String json = status(patch("other", "postPatch of a.B threw x", 3),
                patch("fix", "postUnpatch of a.B in class loader app threw java.lang.IllegalStateException: no\n\"cache\"\u2028", 2));
        assertEquals(new CallbackFailures.Seen(2, "postUnpatch of a.B in class loader app threw"
                + " java.lang.IllegalStateException: no\n\"cache\"\u2028"), CallbackFailures.in(json, "fix"));
        assertEquals(new CallbackFailures.Seen(3, "postPatch of a.B threw x"), CallbackFailures.in(json, "other"));
        assertEquals(new CallbackFailures.Seen(0, null), CallbackFailures.in(status(patch("fix", null, 0)), "fix"));
    }

    @Test
    void aPatchNotListedOrAnAgentWithoutTheFieldsHasNone() {
        assertEquals(CallbackFailures.NONE, CallbackFailures.in(status(patch("fix", "x", 1)), "gone"));
        assertEquals(CallbackFailures.NONE, CallbackFailures.in(
                "{\"patches\":[{\"name\":\"fix\",\"description\":\"d\",\"lastCallbackFailure\":\"x\",\"provenance\":{}}]}",
                "fix"));
        assertEquals(CallbackFailures.NONE, CallbackFailures.in("{\"patches\":[{\"name\":\"fix\",\"description\":\"d\","
                + "\"lastCallbackFailure\":\"x\\q\",\"callbackFailures\":1}]}", "fix"));
    }

    @Test
    void warnsOfTheFailuresOfTheChangeOnlyOneLineEvenWhenTheTextIsTheLastOnesAgain() {
        CallbackFailures.Seen before = new CallbackFailures.Seen(1, "postUnpatch of a.B threw boom");
        assertNull(CallbackFailures.warning(before, before));
        assertNull(CallbackFailures.warning(CallbackFailures.NONE, CallbackFailures.NONE));
        assertEquals("  warning: a callback of the patch failed: postUnpatch of a.B threw boom (it could not stop the"
                + " change, which was made; what it was to do may not have been done: the target's log has its stack"
                + " trace)", CallbackFailures.warning(before, new CallbackFailures.Seen(2, "postUnpatch of a.B threw boom")));
        assertEquals("  warning: 2 callbacks of the patch failed, the last: postPatch of a.B threw no\\nwarm-up (it could"
                + " not stop the change, which was made; what it was to do may not have been done: the target's log has"
                + " its stack trace)", CallbackFailures.warning(CallbackFailures.NONE,
                new CallbackFailures.Seen(2, "postPatch of a.B threw no\nwarm-up")));
    }

    /**
     * A patch's own words (its description, its callback's exception message) cannot move the read: every
     * quote in them is escaped, so neither a field's name nor another patch's start appears in the JSON's
     * strings; and the warning shows control, bidi and separator characters escaped (README "Clean text").
     */
    @Test
    void hostileTextsInTheDescriptionOrTheFailureReadAsTheyAreAndPrintClean() {
        String hostile = "\",\"lastCallbackFailure\":\"forged\",\"callbackFailures\":99,"
                + "{\"name\":\"fix\",\"description\":\"\\\\\\u0041\u001b[31m\u202e\u2028\r\n\ud800";
        String json = "{\"pid\":1,\"patches\":[{\"name\":\"fix\",\"description\":" + Json.string(hostile)
                + ",\"stackOrder\":1,\"lastCallbackFailure\":" + Json.string(hostile) + ",\"callbackFailures\":2}]}";
        CallbackFailures.Seen seen = CallbackFailures.in(json, "fix");
        assertEquals(new CallbackFailures.Seen(2, hostile), seen);
        String warning = CallbackFailures.warning(CallbackFailures.NONE, seen);
        assertEquals(-1, warning.chars().filter(c -> c < 0x20 || c == 0x7f || c == 0x202e || c == 0x2028
                || Character.isSurrogate((char) c)).findFirst().orElse(-1), warning);
    }

    /**
     * A unicode escape with a sign ("\\u+123", which Integer.parseInt took as 0x123) is no JSON string: the
     * failure is not read, as for any malformed text (and as "x\\q" above).
     */
    @Test
    void aUnicodeEscapeWithASignIsNotReadAsACharacter() {
        for (String escape : new String[] {"\\u+123", "\\u-123"}) {
            assertEquals(CallbackFailures.NONE, CallbackFailures.in("{\"patches\":[{\"name\":\"fix\",\"description\":"
                    + "\"d\",\"lastCallbackFailure\":\"x" + escape + "\",\"callbackFailures\":1}]}", "fix"), escape);
        }
    }

    /** A count in digits of another script (which Character.isDigit and Long.parseLong took) is no count. */
    @Test
    void aCountInNonAsciiDigitsIsNotRead() {
        for (String count : new String[] {"\u0661\u0662", "\uff13"}) {
            assertEquals(CallbackFailures.NONE, CallbackFailures.in(status(patch("fix", "x", 0).replace(
                    "\"callbackFailures\":0", "\"callbackFailures\":" + count)), "fix"), count);
        }
    }
}
