package io.jlivepatch.internal.bootstrap;

/**
 * Whether the calling thread has stack left, with a wide margin, for the release of a recursion
 * mark taken now ({@link Recursion}'s claims, and RecursionGuard's stretches counted before the
 * installation, when Recursion itself is not loaded yet).
 *
 * <p>A mark is released by a call (the caller's {@code finally}, an interface call into
 * {@link Recursion}, the atomic updates), made later at the same depth as the marking, and the
 * frames of that call chain may be larger than those of the marking's (another state of the JIT: it
 * was seen, at the edge of a thread's stack). Were it to overflow there, the
 * {@code StackOverflowError} would leave the thread marked for good: every hook on it would run the
 * original method, a patch silently off on that thread, and the hooks' guard would never fold to
 * its constant again. So a mark is taken only once {@link #left()} went {@link #FRAMES} frames
 * deeper than any release needs: the JVM checks, at every method's entry, that the stack beyond it
 * can take its frame and a fixed shadow zone, so the release chain, shallower than this probe,
 * passes those checks wherever the probe did. Otherwise the code runs unmarked, as when every slot
 * is taken; at the stack's edge it would overflow in a moment anyway.
 *
 * <p>Stateless: on the bootstrap class path for Recursion, and found there (or, before jlivepatch
 * appended it, in jlivepatch's own JAR: the same code) by RecursionGuard.
 */
public final class StackRoom {

    /**
     * How many levels of {@link #room} {@link #left()} goes down: about 7.7 KB of stack compiled
     * (C2), 20 KB interpreted or by C1 (measured on JDK 17 and 25, x86-64), where the matching release
     * (an interface call and {@code Recursion.exit}, or a counted stretch's end; until 2026-12-04 a
     * method handle's invocation, deeper still) needs about 1 KB interpreted, and a caller deoptimized
     * meanwhile (its inlined frames laid out as interpreted ones) a few KB more at worst.
     */
    private static final int FRAMES = 56;

    private StackRoom() {
    }

    /** Whether the probe went {@link #FRAMES} levels deep without overflowing the stack. */
    public static boolean left() {
        return left(FRAMES);
    }

    /**
     * Whether the probe went {@code frames} levels deep without overflowing the stack: for work
     * deeper than a mark's release (HookManager's activation, which initializes classes for the
     * first time). About 140 bytes a level compiled, 360 interpreted (see {@link #FRAMES}).
     */
    public static boolean left(int frames) {
        try {
            // Small positive values, no overflow of a long: always true when it returns.
            return room(frames, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16) > 0;
        } catch (StackOverflowError e) {
            return false;
        }
    }

    /**
     * One frame of the probe per level: sixteen values passed on (eleven of them on the stack on
     * x86-64: about 140 bytes a compiled frame there; fewer where more arguments travel in
     * registers), and a result that depends on every level, so that no level can be left out.
     */
    private static long room(int left, long a, long b, long c, long d, long e, long f, long g, long h,
                             long i, long j, long k, long l, long m, long n, long o, long p) {
        if (left == 0) {
            return a | 1;
        }
        long below = room(left - 1, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, a + left);
        return below + (a ^ b ^ c ^ d ^ e ^ f ^ g ^ h ^ i ^ j ^ k ^ l ^ m ^ n ^ o ^ p);
    }
}
