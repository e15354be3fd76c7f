package io.jlivepatch.agent.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.control.Json;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Random;

/**
 * Whatever the agent writes, the command reads back: a status in the shape core's {@code StatusReport.json}
 * writes (every key of it, its nesting, its numbers), each string through {@link Json#string} as there, with
 * names, descriptions, threads, classes and loaders made of the characters applications and patch authors
 * can give them: quotes, backslashes, every control character, U+2028, format characters, pairs and lone
 * surrogates. A status the reader refused lists no patch, and a forced mark or a callback failure is then
 * silently left out; so none may be refused. The patch's own object, {@code provenance}, is read back too:
 * {@code load --wait}'s look at a postPatch holding its own call reads it ({@link LoadCommand#loadedHere}).
 */
class StatusJsonRoundTripTest {

    /** The characters that make a string odd; anything else from the BMP and beyond comes at random too. */
    private static final String ODD = "\"\\/\b\f\n\r\t\u0000\u001b\u001f\u007f\u0085\u00a0\u2028\u2029\u202e\u200b"
            + "\ufeff\ud800\udbff\udc00\udfff{}[]:,";

    private static String odd(Random random) {
        StringBuilder sb = new StringBuilder();
        int length = random.nextInt(12);
        for (int i = 0; i < length; i++) {
            switch (random.nextInt(4)) {
                case 0 -> sb.append(ODD.charAt(random.nextInt(ODD.length())));
                case 1 -> sb.appendCodePoint(0x10000 + random.nextInt(0x10FFFF - 0x10000)); // a pair
                case 2 -> sb.append((char) random.nextInt(0x10000)); // any UTF-16 unit: lone surrogates too
                default -> sb.append((char) (' ' + random.nextInt(95)));
            }
        }
        return sb.toString();
    }

    private static String s(String text) {
        return Json.string(text);
    }

    /** One patch's object, key for key as StatusReport writes it; {@code by}: its provenance's loadedBy. */
    private static String patch(String name, String description, String failure, String closing, String by,
                                Random r) {
        return "{\"name\":" + s(name) + ",\"description\":" + s(description) + ",\"stackOrder\":" + (1 + r.nextInt(9))
                + ",\"enabled\":true,\"transition\":true,\"forced\":true,\"cumulative\":false"
                + ",\"states\":[{\"id\":" + Integer.MIN_VALUE + ",\"version\":" + Integer.MAX_VALUE + "}]"
                + ",\"callbacks\":[" + s(odd(r)) + "," + s(odd(r)) + "]"
                + ",\"lastCallbackFailure\":" + s(failure) + ",\"callbackFailures\":" + Long.MAX_VALUE
                + ",\"provenance\":{\"source\":" + s(odd(r)) + ",\"sha256\":\"ab12\",\"signer\":" + s(odd(r))
                + ",\"builds\":{" + s("a" + odd(r)) + ":" + s(odd(r)) + "," + s("b" + odd(r)) + ":" + s(odd(r)) + "}"
                + ",\"loadedAt\":" + s("2026-12-07T19:00:00.123456789Z") + ",\"loadedBy\":" + s(by) + "}"
                + ",\"pendingClasses\":[],\"waiting\":[{\"thread\":" + s(odd(r)) + ",\"threadId\":" + Long.MAX_VALUE
                + ",\"method\":" + s(odd(r)) + ",\"inside\":" + s(odd(r)) + "}],\"transitionEndFailure\":null"
                + ",\"closingCallback\":" + s(closing)
                + ",\"functions\":[{\"class\":" + s(odd(r)) + ",\"method\":" + s(odd(r)) + ",\"descriptor\":"
                + s(odd(r)) + ",\"state\":\"PATCHED\",\"loaders\":[{\"loader\":" + s(odd(r)) + ",\"state\":\"PATCHED\""
                + ",\"detail\":" + s(odd(r)) + "},{\"loader\":" + s(odd(r)) + ",\"state\":\"FAILED\",\"detail\":\"\"}]}"
                + ",{\"class\":\"a.B\",\"method\":\"c\",\"descriptor\":\"()V\",\"state\":\"PENDING\",\"loaders\":[]}]}";
    }

    /** The whole status, key for key as StatusReport writes it, with {@code patches} in its place. */
    private static String status(String patches, Random r) {
        return "{\"pid\":" + Long.MAX_VALUE + ",\"trust\":{\"verifying\":false,\"policy\":" + s(odd(r)) + "}"
                + ",\"audit\":{\"file\":" + s(odd(r)) + ",\"problem\":null,\"notWritten\":" + Long.MAX_VALUE + "}"
                + ",\"opened\":[" + s(odd(r)) + "],\"watch\":{\"directory\":null,\"desired\":\"\",\"state\":"
                + s(odd(r)) + ",\"lastReconcile\":" + Long.MAX_VALUE + "},\"patches\":[" + patches + "]"
                + ",\"forcedAndUnregistered\":[{\"name\":" + s(odd(r)) + ",\"sha256\":\"\",\"source\":" + s(odd(r))
                + ",\"unregisteredAt\":\"2026-12-07T19:00:00Z\",\"how\":" + s(odd(r)) + "}]"
                + ",\"patchDirectory\":{\"notLoaded\":[],\"notShown\":0},\"inFlight\":{\"definitions\":[" + s(odd(r))
                + "],\"count\":" + Integer.MAX_VALUE + "}}";
    }

    @Test
    void everyStringTheAgentWritesIsReadBackAsItWasAndTheStatusIsNeverRefused() {
        Random random = new Random(20261207L); // one sequence: the same strings on every run
        for (int round = 0; round < 2_000; round++) {
            String name = odd(random);
            String description = odd(random);
            String failure = odd(random);
            String closing = odd(random);
            String other = name + "x"; // another patch, before it, whose name begins as this one's
            String by = "pid 7 user " + odd(random);
            String json = status(patch(other, odd(random), odd(random), odd(random), "pid 8 user u", random) + ","
                    + patch(name, description, failure, closing, by, random), random);
            StatusJson read = StatusJson.patch(json, name);
            assertNotSame(StatusJson.NOT_LISTED, read, json);
            assertEquals(description, read.string("description"), json);
            assertEquals(failure, read.string("lastCallbackFailure"), json);
            assertEquals(closing, read.string("closingCallback"), json);
            assertEquals(Long.MAX_VALUE, read.count("callbackFailures"), json);
            assertTrue(read.isTrue("forced"), json);
            assertEquals(new CallbackFailures.Seen(Long.MAX_VALUE, failure), CallbackFailures.in(json, name), json);
            assertEquals(Text.clean(closing), Transitions.closingCallback(json, name), json);
            StatusJson provenance = read.object("provenance");
            assertEquals(by, provenance.string("loadedBy"), json);
            assertEquals("2026-12-07T19:00:00.123456789Z", provenance.string("loadedAt"), json);
            assertTrue(LoadCommand.loadedHere(read, "ab12", 7, Instant.parse("2026-12-07T19:00:00Z")), json);
        }
    }
}
