package io.jlivepatch.internal.core;

import io.jlivepatch.Patch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;

import java.util.List;
import java.util.OptionalInt;

/**
 * System states (the kernel's {@code state.c}, {@code klp_is_patch_compatible}): whether a patch
 * may be enabled on top of the states the enabled patches set up, and which version of a state the
 * running patches provide.
 */
final class StateCheck {

    private StateCheck() {
    }

    /**
     * Refuses {@code p} with {@code INCOMPATIBLE_STATE} when an enabled patch of {@code order} holds a
     * state that {@code p} holds at a lower version, or that {@code p}, a cumulative patch, lacks.
     * Changes nothing. Caller holds klpMutex.
     */
    static void check(List<RegisteredPatch> order, RegisteredPatch p) throws PatchException {
        check(order, p, p.name(), p.patch().states(), p.patch().replace());
    }

    /**
     * {@link #check(List, RegisteredPatch)} of a patch not prepared yet, named {@code name}, holding
     * {@code states}, cumulative or not ({@code replace}); {@code self} (null for none) is skipped.
     * For a load's check before the JAR defines anything: lock-free reads, the check under the lock
     * decides.
     */
    static void check(List<RegisteredPatch> order, RegisteredPatch self, String name, List<Patch.State> states,
                      boolean replace) throws PatchException {
        for (RegisteredPatch other : order) {
            if (other == self || !other.isEnabled()) {
                continue;
            }
            for (Patch.State held : other.patch().states()) {
                Patch.State mine = find(states, held.id());
                if (mine != null && mine.version() < held.version()) {
                    throw new PatchException(Reason.INCOMPATIBLE_STATE, name, "cannot enable patch '" + name
                            + "': it holds state " + held.id() + " at version " + mine.version() + ", but patch '"
                            + other.name() + "' holds it at version " + held.version() + ", newer: a patch must"
                            + " understand the states it finds; give '" + name + "' state(" + held.id() + ", "
                            + held.version() + ") or more, once it handles that version, or disable '" + other.name()
                            + "' first");
                }
                if (mine == null && replace) {
                    throw new PatchException(Reason.INCOMPATIBLE_STATE, name, "cannot enable cumulative patch '"
                            + name + "': patch '" + other.name() + "', which it would replace, holds state "
                            + held.id() + " at version " + held.version() + " and '" + name + "' holds none"
                            + " of it (version 0): a cumulative patch takes over every state of the patches it"
                            + " replaces; give it state(" + held.id() + ", " + held.version() + ") or more");
                }
            }
        }
    }

    /**
     * The highest version of state {@code id} among the patches of {@code stack} that count their
     * states (from the end of their enable transition to the start of their disable), or empty.
     */
    static OptionalInt version(List<RegisteredPatch> stack, long id) {
        int best = 0;
        for (RegisteredPatch p : stack) {
            if (p.statesCounted()) {
                Patch.State s = find(p.patch().states(), id);
                if (s != null && s.version() > best) {
                    best = s.version();
                }
            }
        }
        return best == 0 ? OptionalInt.empty() : OptionalInt.of(best);
    }

    private static Patch.State find(List<Patch.State> states, long id) {
        for (Patch.State s : states) {
            if (s.id() == id) {
                return s;
            }
        }
        return null;
    }
}
