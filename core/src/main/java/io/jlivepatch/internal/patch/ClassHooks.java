package io.jlivepatch.internal.patch;

import java.util.Map;
import java.util.Set;

/**
 * What the transformer last did to one class in one loader.
 *
 * @param hooked   keys of methods that carry the prologue
 * @param failures key to reason, for methods that should but could not be hooked or linked
 */
public record ClassHooks(Set<String> hooked, Map<String, String> failures) {

    public static final ClassHooks NONE = new ClassHooks(Set.of(), Map.of());

    public ClassHooks {
        hooked = Set.copyOf(hooked);
        failures = Map.copyOf(failures);
    }
}
