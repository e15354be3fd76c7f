package io.jlivepatch.internal.patch;

/**
 * What the hook of one method runs. In steady state {@code routing} is {@code null} and both sides
 * are the top of the method's patch stack. While a transition changes that top, a thread in the
 * patched state runs {@code patched}, any other thread {@code unpatched}; {@code null} means the
 * method's own code.
 *
 * @param unpatched the top without the transition's patch
 * @param patched   the top with it
 * @param routing   the transition's per-thread state, or {@code null} in steady state
 */
public record Route(ActiveFunction unpatched, ActiveFunction patched, ThreadRouting routing) {

    /** A side that has a replacement (the hook needs its target's name and descriptor). */
    public ActiveFunction any() {
        return patched != null ? patched : unpatched;
    }
}
