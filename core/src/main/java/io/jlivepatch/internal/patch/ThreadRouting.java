package io.jlivepatch.internal.patch;

import java.lang.invoke.MethodHandle;

/**
 * What a running transition offers the hooks of its methods: the per-thread patch state of the
 * kernel's consistency model. The state is absolute, as the kernel's {@code task->patch_state}:
 * a thread runs either the patched or the unpatched side of every method of the transition.
 */
public interface ThreadRouting {

    /**
     * {@code ()boolean}, run once per hook pass: counts the pass for the calling thread, lets the
     * thread move itself to the target state when none of the transition's methods is on its stack
     * (the frame running the hook does not count), and answers whether it is in the patched state.
     */
    MethodHandle passHook();

    /** {@code ()boolean}: whether the calling thread is in the patched state; does not count a pass. */
    MethodHandle inPatchedState();

    /**
     * {@code ()boolean}: {@code passHook ? patchedSide : unpatchedSide}, where a side is true when it
     * has a replacement: whether a site of this transition runs a replacement for the calling thread.
     * There are four, and a transition's sites (a thousand for a large patch, linked at its start and
     * again at its end) would otherwise each build their own: built once per transition and shared.
     * This and {@link #guard} are called under Dispatch's link lock (every resolution holds it),
     * which orders the memos' writes and reads.
     */
    MethodHandle side(boolean patchedSide, boolean unpatchedSide);

    /** The guard of a site with no other gate: {@code outside && side(...)}, shared likewise. */
    MethodHandle guard(MethodHandle outside, boolean patchedSide, boolean unpatchedSide);
}
