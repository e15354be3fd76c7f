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
 * @param held      for a method the transition's patch holds but nobody replaces (both sides
 *                  {@code null}): the method; its hook only lets a thread move itself on entry
 */
public record Route(ActiveFunction unpatched, ActiveFunction patched, ThreadRouting routing, MethodSpec held) {

    public Route(ActiveFunction unpatched, ActiveFunction patched, ThreadRouting routing) {
        this(unpatched, patched, routing, null);
    }

    // Written out, as ActiveFunction's: no ObjectMethods bootstrap in a cold JVM.
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Route)) {
            return false;
        }
        Route r = (Route) o;
        return java.util.Objects.equals(unpatched, r.unpatched) && java.util.Objects.equals(patched, r.patched)
                && java.util.Objects.equals(routing, r.routing) && java.util.Objects.equals(held, r.held);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(unpatched, patched, routing, held);
    }

    /** A side that has a replacement, or {@code null} for a held method's route. */
    public ActiveFunction any() {
        return patched != null ? patched : unpatched;
    }

    /** The hooked method. */
    public MethodSpec spec() {
        ActiveFunction f = any();
        return f != null ? f.spec() : held;
    }
}
