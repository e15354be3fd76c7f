package io.jlivepatch.internal;

/**
 * SHA-256 (FIPS 180-4) as lowercase hex, the same digest as {@code MessageDigest.getInstance("SHA-256")}.
 * Loading a patch checks the classes it was built against on the first load into an application;
 * the JDK's {@code MessageDigest} first sets up its security providers there, 106 classes on JDK 17 and 64 on
 * JDK 25 (issue 10), for a digest that is a page of arithmetic.
 */
public final class Sha256 {

    private static final int[] K = {
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    };

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Sha256() {
    }

    public static String hex(byte[] data) {
        int[] h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
        int[] w = new int[64];
        int full = data.length / 64;
        for (int block = 0; block < full; block++) {
            for (int t = 0; t < 16; t++) {
                w[t] = word(data, block * 64 + t * 4);
            }
            compress(h, w);
        }
        // the padding: the rest, a 1 bit, zeros, then the length in bits as 64 bits, in one or two blocks
        int rest = data.length - full * 64;
        byte[] tail = new byte[rest < 56 ? 64 : 128];
        System.arraycopy(data, full * 64, tail, 0, rest);
        tail[rest] = (byte) 0x80;
        long bits = (long) data.length * 8;
        for (int i = 0; i < 8; i++) {
            tail[tail.length - 1 - i] = (byte) (bits >>> (8 * i));
        }
        for (int off = 0; off < tail.length; off += 64) {
            for (int t = 0; t < 16; t++) {
                w[t] = word(tail, off + t * 4);
            }
            compress(h, w);
        }
        char[] out = new char[64];
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 8; j++) {
                out[i * 8 + j] = HEX[(h[i] >>> (28 - 4 * j)) & 0xf];
            }
        }
        return new String(out);
    }

    private static int word(byte[] b, int i) {
        return (b[i] & 0xff) << 24 | (b[i + 1] & 0xff) << 16 | (b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff);
    }

    /**
     * One 64-byte block, its first 16 words in {@code w}, into the state {@code h}. The rotations are written
     * out as shifts, not {@code Integer.rotateRight}: the JIT compiles both to the same instruction, but a
     * start-up digests its patch JARs before this code is compiled, where each of a block's 576 rotations was
     * a call (the first start-up JAR's digest: 0.76 ms of premain's CPU before, 0.35 ms after; BENCHMARKS.md
     * section 4, session 48).
     */
    private static void compress(int[] h, int[] w) {
        for (int t = 16; t < 64; t++) {
            int x = w[t - 15];
            int y = w[t - 2];
            int s0 = (x >>> 7 | x << 25) ^ (x >>> 18 | x << 14) ^ (x >>> 3);
            int s1 = (y >>> 17 | y << 15) ^ (y >>> 19 | y << 13) ^ (y >>> 10);
            w[t] = w[t - 16] + s0 + w[t - 7] + s1;
        }
        int a = h[0];
        int b = h[1];
        int c = h[2];
        int d = h[3];
        int e = h[4];
        int f = h[5];
        int g = h[6];
        int hh = h[7];
        for (int t = 0; t < 64; t++) {
            int s1 = (e >>> 6 | e << 26) ^ (e >>> 11 | e << 21) ^ (e >>> 25 | e << 7);
            int ch = (e & f) ^ (~e & g);
            int t1 = hh + s1 + ch + K[t] + w[t];
            int s0 = (a >>> 2 | a << 30) ^ (a >>> 13 | a << 19) ^ (a >>> 22 | a << 10);
            int maj = (a & b) ^ (a & c) ^ (b & c);
            int t2 = s0 + maj;
            hh = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
        h[5] += f;
        h[6] += g;
        h[7] += hh;
    }
}
