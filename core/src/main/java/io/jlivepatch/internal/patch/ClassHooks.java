package io.jlivepatch.internal.patch;

import java.util.Map;
import java.util.Set;

/**
 * What the transformer last did to one class in one loader.
 *
 * @param hooked   keys of methods that carry the prologue
 * @param failures key to reason, for methods that should but could not be hooked or linked
 * @param code     key to the fingerprint of the code a hooked method had when the transformer got it,
 *                 before its prologue (what tells another agent's code in it: {@code HookManager.foreignCode})
 */
public record ClassHooks(Set<String> hooked, Map<String, String> failures, Map<String, Long> code) {

    public static final ClassHooks NONE = new ClassHooks(Set.of(), Map.of(), Map.of());

    public ClassHooks {
        hooked = Set.copyOf(hooked);
        failures = Map.copyOf(failures);
        code = Map.copyOf(code);
    }
}
