package io.jlivepatch.internal.jar;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * The patch class of one patch JAR, defined once per target class loader. Held by the registered
 * patch only: when it is unregistered, the loaders and their classes become unreachable.
 */
final class PatchClasses {

    private final PatchJar jar;

    // Guarded by this. The boot loader (null) cannot be a WeakHashMap key.
    private final Map<ClassLoader, PatchClassLoader> byTarget = new WeakHashMap<>();
    private PatchClassLoader forBoot;

    PatchClasses(PatchJar jar) {
        this.jar = jar;
    }

    synchronized Class<?> patchClassFor(ClassLoader targetLoader) throws ClassNotFoundException {
        PatchClassLoader l;
        if (targetLoader == null) {
            if (forBoot == null) {
                forBoot = new PatchClassLoader(jar, null);
            }
            l = forBoot;
        } else {
            l = byTarget.computeIfAbsent(targetLoader, t -> new PatchClassLoader(jar, t));
        }
        return Class.forName(jar.patchClass(), true, l);
    }
}
