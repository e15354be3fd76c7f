package io.jlivepatch.internal.patch;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;

/**
 * The guards of one transition's hooks: {@code outside && (passHook ? patchedSide : unpatchedSide)},
 * where a side is true when it has a replacement. There are four, and a transition's sites (a
 * thousand for a large patch, linked at its start and again at its end) would otherwise each build
 * their own two guard handles. Used under Dispatch's link lock (every resolution holds it), which
 * orders the memo's writes and reads; the entries are also safe to build twice.
 */
public final class GuardMemo {

    private final MethodHandle[] guards = new MethodHandle[4];
    private MethodHandle outside;

    /** The guard for a site whose patched / unpatched side has a replacement, with no other gate. */
    MethodHandle guard(MethodHandle outside, MethodHandle passHook, boolean patchedSide, boolean unpatchedSide) {
        if (this.outside != outside) {
            java.util.Arrays.fill(guards, null); // another recursion guard: build again
            this.outside = outside;
        }
        int i = (patchedSide ? 2 : 0) | (unpatchedSide ? 1 : 0);
        MethodHandle g = guards[i];
        if (g == null) {
            g = MethodHandles.guardWithTest(outside, inner(passHook, patchedSide, unpatchedSide),
                    ReplacementLinker.FALSE);
            guards[i] = g;
        }
        return g;
    }

    /** {@code passHook ? patchedSide : unpatchedSide}. */
    static MethodHandle inner(MethodHandle passHook, boolean patchedSide, boolean unpatchedSide) {
        return MethodHandles.guardWithTest(passHook, patchedSide ? ReplacementLinker.TRUE : ReplacementLinker.FALSE,
                unpatchedSide ? ReplacementLinker.TRUE : ReplacementLinker.FALSE);
    }
}
