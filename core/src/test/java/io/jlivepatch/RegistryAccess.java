package io.jlivepatch;

import io.jlivepatch.internal.core.PatchRegistry;

import java.lang.reflect.Field;

/**
 * The test JVM's registry, for what the public API does not offer: the internal overloads that
 * take replacement sources (fault injection) and the atomic register-and-enable.
 */
final class RegistryAccess {

    private RegistryAccess() {
    }

    static PatchRegistry get() {
        try {
            Field f = Livepatch.class.getDeclaredField("registry");
            f.setAccessible(true);
            return (PatchRegistry) f.get(TestSupport.livepatch());
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("Livepatch keeps its registry in a field named 'registry'", e);
        }
    }
}
