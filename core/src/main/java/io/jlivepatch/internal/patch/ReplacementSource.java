package io.jlivepatch.internal.patch;

import java.lang.invoke.MethodHandle;

/**
 * Where the replacement of one function comes from, per class loader of the target: a patch
 * written against the application's types has its classes defined once per loader that defines
 * the target, so that each copy sees that loader's types.
 */
public interface ReplacementSource {

    /**
     * The replacement for a target class defined by {@code targetLoader} ({@code null}: the boot loader).
     *
     * @throws ReflectiveOperationException when the replacement cannot be linked against that loader
     */
    MethodHandle handleFor(ClassLoader targetLoader) throws ReflectiveOperationException;

    /**
     * The initialization of the class holding the replacement for {@code targetLoader}, when it is
     * left to the first call (patch JARs); {@code null} when there is nothing to wait for.
     */
    default ClassInit initialization(ClassLoader targetLoader) throws ReflectiveOperationException {
        return null;
    }

    /**
     * The indices of the replacement's parameters annotated {@code @Next}, read from its class file,
     * or {@code null} when the source has none to read (a replacement the application gives as a
     * {@code Method}): then reflection tells, which may run the replacement's class's code
     * ({@link SignatureCheck#nextParameters}).
     */
    default int[] nextParameters() {
        return null;
    }

    /**
     * The class loaders of jlivepatch's own that define the replacement's classes (one per target
     * loader so far), never an application's: none for a replacement the application gives.
     */
    default java.util.List<ClassLoader> ownLoaders() {
        return java.util.List.of();
    }

    /**
     * The hidden classes jlivepatch defined for the replacement in an application's class loader (a
     * {@code Livepatch-Nestmates} class, one per target loader so far): its own too, though no
     * loader of its own defines them.
     */
    default java.util.List<Class<?>> ownHiddenClasses() {
        return java.util.List.of();
    }

    /**
     * Lets go of what this holds per target class loader, once its patch is unregistered or was
     * refused before it registered: the copies of a patch JAR's classes are attached to the target
     * loaders' classes (so that they never keep a loader alive), and stay there until this. Never throws.
     */
    default void release() {
    }

    /** The same replacement for every loader. */
    static ReplacementSource fixed(MethodHandle handle) {
        return loader -> handle;
    }
}
