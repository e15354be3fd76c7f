package io.jlivepatch.internal.core;

import io.jlivepatch.internal.jar.PatchJarLoader;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Predicate;

/**
 * Whether one of a patch JAR's own loaders, as they were when its transition began, defined a class
 * of a binary name: what the transition worker tests a frame whose loader is named {@code jlivepatch:<patch>}
 * by before it names that patch (PatchedMethods.inside), for any loader may be given that name. A class,
 * not a lambda: the first transition of a JVM spins no class through java.lang.invoke (ClassInit.byName).
 */
final class OwnClasses implements Predicate<String> {

    /**
     * Weakly: the registry keeps the last transition that ended (endOnRecord) until the next one, and
     * this must not keep an unregistered patch's loaders, and its classes, with it.
     */
    private final List<WeakReference<ClassLoader>> loaders = new ArrayList<>();

    OwnClasses(Collection<ClassLoader> loaders) {
        for (ClassLoader l : loaders) {
            this.loaders.add(new WeakReference<>(l));
        }
    }

    /** Runs on the transition worker: lock-free, loads nothing, never throws (PatchClassLoader.defines). */
    @Override
    public boolean test(String binaryName) {
        for (WeakReference<ClassLoader> r : loaders) {
            ClassLoader l = r.get();
            if (l != null && PatchJarLoader.definesOwnClass(l, binaryName)) {
                return true;
            }
        }
        return false;
    }
}
