package io.jlivepatch.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlivepatch.internal.control.Json;
import org.junit.jupiter.api.Test;

/**
 * The one reader of a patch's object in the target's status JSON: a field is read only where the patch's
 * own object has it, and text that is not JSON (a forged field, a bad escape, a number in other digits)
 * lists no patch, so that every command answers as for an agent without the field.
 */
class StatusJsonTest {

    private static String patch(String name, String description, String more) {
        return "{\"name\":" + Json.string(name) + ",\"description\":" + Json.string(description) + ",\"stackOrder\":1,"
                + "\"enabled\":true,\"transition\":false,\"forced\":false" + more + "}";
    }

    private static String status(String... patches) {
        return "{\"pid\":1,\"patches\":[" + String.join(",", patches) + "],\"forcedAndUnregistered\":[]}";
    }

    @Test
    void readsTheFieldsOfThePatchNamedAndNoOther() {
        String json = status(patch("other", "d", ",\"closingCallback\":\"x\",\"callbackFailures\":3"),
                patch("fix", "d", ",\"lastCallbackFailure\":null,\"callbackFailures\":0,\"closingCallback\":null"));
        StatusJson fix = StatusJson.patch(json, "fix");
        assertNull(fix.string("closingCallback"));
        assertTrue(fix.isNull("closingCallback"));
        assertEquals(0, fix.count("callbackFailures"));
        assertFalse(fix.isTrue("forced"));
        assertEquals("x", StatusJson.patch(json, "other").string("closingCallback"));
        assertEquals(3, StatusJson.patch(json, "other").count("callbackFailures"));
        assertSame(StatusJson.NOT_LISTED, StatusJson.patch(json, "gone"));
        assertEquals(-1, StatusJson.patch(json, "gone").count("callbackFailures"));
    }

    /**
     * A patch's own object ({@code provenance}, which load --wait's look reads) is built, while the entries of its
     * lists are not: before, with only the patch's level built, the look found no provenance and the load held by
     * its postPatch waited out --timeout (exit 4) instead of exiting 3 at --wait (ClosingCallbackWaitTest).
     */
    @Test
    void aPatchsOwnObjectIsReadButNotWhatItsListsHold() {
        String json = status(patch("fix", "d", ",\"provenance\":{\"sha256\":\"ab12\",\"loadedBy\":\"pid 7 user u\","
                + "\"builds\":{\"old\":\"x\"}},\"functions\":[{\"name\":\"a.B.c()V\"}]"));
        StatusJson provenance = StatusJson.patch(json, "fix").object("provenance");
        assertEquals("ab12", provenance.string("sha256"));
        assertEquals("pid 7 user u", provenance.string("loadedBy"));
        assertSame(StatusJson.NOT_LISTED, provenance.object("builds"), "further in: checked, not built");
        assertSame(StatusJson.NOT_LISTED, StatusJson.patch(json, "fix").object("functions"));
    }

    /** A field of another patch, or of one unregistered, is never this patch's, wherever it stands. */
    @Test
    void aPatchWithoutTheFieldDoesNotReadTheNextPatchsOrAnUnregisteredOnes() {
        String json = "{\"patches\":[{\"name\":\"fix\",\"description\":\"d\",\"stackOrder\":1},"
                + "{\"name\":\"next\",\"description\":\"d\",\"forced\":true,\"closingCallback\":\"c\"}],"
                + "\"forcedAndUnregistered\":[{\"name\":\"fix\",\"description\":\"d\",\"forced\":true}]}";
        StatusJson fix = StatusJson.patch(json, "fix");
        assertFalse(fix.isTrue("forced"));
        assertNull(fix.string("closingCallback"));
        assertFalse(fix.isNull("closingCallback"), "absent is not null");
        assertSame(StatusJson.UNREADABLE, StatusJson.patch("{\"name\":\"fix\",\"description\":\"d\",\"forced\":true}",
                "fix"), "a patch object outside 'patches'");
    }

    /** The patch's own words, escaped as the agent writes them, read as they are and never as fields. */
    @Test
    void aNameOrFieldInsideAStringValueOrEscapedQuotesIsNoField() {
        String forged = "\",\"forced\":true,\"callbackFailures\":99,\"closingCallback\":\"forged\"},{\"name\":\"fix\","
                + "\"description\":\"\\\"";
        String json = status(patch("fix", forged, ",\"lastCallbackFailure\":" + Json.string(forged)
                + ",\"callbackFailures\":2"));
        StatusJson fix = StatusJson.patch(json, "fix");
        assertFalse(fix.isTrue("forced"));
        assertEquals(2, fix.count("callbackFailures"));
        assertNull(fix.string("closingCallback"));
        assertEquals(forged, fix.string("description"));
        assertEquals(forged, fix.string("lastCallbackFailure"));
        // a name of the patch inside another's string is not its object
        assertSame(StatusJson.NOT_LISTED, StatusJson.patch(status(patch("other", "{\"name\":\"fix\",\"forced\":true}",
                "")), "fix"));
    }

    /** A unicode escape takes four ASCII hex digits: no sign, no other script's digits, no fewer. */
    @Test
    void aUnicodeEscapeWithASignOrNonHexDigitsMakesTheTextNoStatus() {
        for (String escape : new String[] {"\\u+123", "\\u-123", "\\u12G4", "\\u\uff11\uff12\uff13\uff14", "\\u12",
                "\\q", "\\"}) {
            String json = "{\"patches\":[{\"name\":\"fix\",\"description\":\"d\",\"closingCallback\":\"a" + escape
                    + "\"}]}";
            assertSame(StatusJson.UNREADABLE, StatusJson.patch(json, "fix"), escape);
        }
        String json = "{\"patches\":[{\"name\":\"fix\",\"description\":\"d\",\"closingCallback\":\"\\u0041\\uD83D"
                + "\\ude00\\/\\b\"}]}";
        assertEquals("A\ud83d\ude00/\b", StatusJson.patch(json, "fix").string("closingCallback"));
    }

    /** A count is a whole number of ASCII digits that a long holds: else the field is not read. */
    @Test
    void aCountInOtherDigitsIsNoJsonAndOneNotAWholeNumberIsNoCount() {
        for (String count : new String[] {"\u0661\u0662", "\uff11", "+1", "01", "1.", ".5", "1e", "--1", ""}) {
            String json = status(patch("fix", "d", ",\"callbackFailures\":" + count));
            assertSame(StatusJson.UNREADABLE, StatusJson.patch(json, "fix"), count);
        }
        for (String count : new String[] {"-1", "1.5", "1e2", "99999999999999999999", "\"3\"", "true", "null"}) {
            String json = status(patch("fix", "d", ",\"callbackFailures\":" + count));
            assertEquals(-1, StatusJson.patch(json, "fix").count("callbackFailures"), count);
        }
        assertEquals(Long.MAX_VALUE, StatusJson.patch(status(patch("fix", "d", ",\"callbackFailures\":"
                + Long.MAX_VALUE)), "fix").count("callbackFailures"));
    }

    /** Only JSON true is true; only a string is a string. */
    @Test
    void fieldsOfAnotherTypeAreNotRead() {
        String json = "{\"patches\":[{\"name\":\"fix\",\"description\":\"d\",\"forced\":\"true\","
                + "\"closingCallback\":[\"x\"],\"transition\":1}]}";
        StatusJson fix = StatusJson.patch(json, "fix");
        assertFalse(fix.isTrue("forced"));
        assertNull(fix.string("closingCallback"));
        assertFalse(fix.isTrue("transition"));
    }

    /** Text that is not one JSON value (cut, trailing, a key twice, too deep, bad literals) lists no patch. */
    @Test
    void textThatIsNotJsonListsNoPatch() {
        String good = status(patch("fix", "d", ",\"forced\":true"));
        assertSame(StatusJson.UNREADABLE, StatusJson.patch(good, "fix"), "forced twice");
        String one = status(patch("fix", "d", ""));
        assertFalse(StatusJson.patch(one, "fix") == StatusJson.UNREADABLE);
        for (String bad : new String[] {one.substring(0, one.length() - 1), one + "x", one + "{}",
                one.replace("true", "tru"), one.replace("true", "True"), one.replace(":", " "),
                one.replace(",\"stackOrder\"", ",,\"stackOrder\""), one.replace("]", ",]"), "", "null",
                one.replace("\"stackOrder\":1", "\"stackOrder\":" + "[".repeat(40) + "]".repeat(40)),
                one.replace("{\"pid\"", "{pid")}) {
            assertSame(StatusJson.UNREADABLE, StatusJson.patch(bad, "fix"), bad);
        }
        String spaced = " {\n\"patches\" : [ {\"name\" :\t\"fix\" , \"forced\" : true } ] }\r\n";
        assertTrue(StatusJson.patch(spaced, "fix").isTrue("forced"));
    }

    /**
     * Only a status that lists its patches says one is not registered (NOT_LISTED, which the command then
     * checks with its own look); one without such a list, or text that is not JSON, says nothing of it.
     */
    @Test
    void onlyAListOfPatchesWithoutThePatchSaysItIsNotListed() {
        assertSame(StatusJson.NOT_LISTED, StatusJson.patch("{\"patches\":[]}", "fix"));
        assertSame(StatusJson.NOT_LISTED, StatusJson.patch(status(patch("other", "d", "")), "fix"));
        for (String unreadable : new String[] {"{}", "[]", "{\"patches\":{}}", "{\"patches\":null}",
                "{\"status\":{\"patches\":[]}}", "{\"patches\":[]", "\"patches\""}) {
            assertSame(StatusJson.UNREADABLE, StatusJson.patch(unreadable, "fix"), unreadable);
        }
    }

    /**
     * Inside a patch's lists and objects (functions, loaders, threads), which no command reads and which are
     * checked without being built, text that is not JSON makes the status unreadable all the same.
     */
    @Test
    void whatLiesInsideAPatchsListsIsCheckedThoughNotRead() {
        String good = "{\"class\":\"a.B\",\"loaders\":[{\"loader\":\"app\",\"state\":\"PATCHED\",\"n\":-1.5e3}]}";
        String one = status(patch("fix", "d", ",\"functions\":[" + good + "],\"waiting\":[]"));
        assertTrue(StatusJson.patch(one, "fix").isTrue("enabled"));
        assertNull(StatusJson.patch(one, "fix").string("functions"));
        for (String bad : new String[] {good.replace("\"state\"", "\"loader\""), good.replace("app", "a\\q"),
                good.replace("-1.5e3", "01"), good.replace("-1.5e3", "\u0661"), good.replace("]}", "]"),
                good.replace("\"app\"", "\"app\",")}) {
            String json = status(patch("fix", "d", ",\"functions\":[" + bad + "]"));
            assertSame(StatusJson.UNREADABLE, StatusJson.patch(json, "fix"), bad);
        }
    }
}
