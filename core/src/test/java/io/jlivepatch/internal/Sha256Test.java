package io.jlivepatch.internal;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

class Sha256Test {

    private static String jdk(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }

    @Test
    void theStandardsExamples() {
        // FIPS 180-4 examples (NIST CSRC), and the empty message
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                Sha256.hex("abc".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
                Sha256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".getBytes(StandardCharsets.US_ASCII)));
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Sha256.hex(new byte[0]));
    }

    @Test
    void equalsTheJdksDigestAtEveryPaddingBoundaryAndForLargeInputs() throws Exception {
        Random r = new Random(10);
        for (int n = 0; n <= 300; n++) {
            byte[] data = new byte[n];
            r.nextBytes(data);
            assertEquals(jdk(data), Sha256.hex(data), "length " + n);
        }
        for (int n : new int[] {4095, 65536, 1_000_003}) {
            byte[] data = new byte[n];
            r.nextBytes(data);
            assertEquals(jdk(data), Sha256.hex(data), "length " + n);
        }
    }
}
