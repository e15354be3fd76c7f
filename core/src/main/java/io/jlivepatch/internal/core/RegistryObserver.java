package io.jlivepatch.internal.core;

import io.jlivepatch.PatchHandle;

/** Told of patches entering and leaving the stack, under the registry's lock; must not call back into it. */
public interface RegistryObserver {

    void registered(PatchHandle patch);

    void unregistered(PatchHandle patch);
}
