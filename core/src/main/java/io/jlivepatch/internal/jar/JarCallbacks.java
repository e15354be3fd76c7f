package io.jlivepatch.internal.jar;

import io.jlivepatch.Callbacks;

import java.lang.invoke.MethodHandle;
import java.util.Map;

/**
 * The callbacks a patch JAR declares for one target class ({@code @PrePatch} and the others): each
 * runs the annotated method of the patch class's copy for the target's class loader, as a
 * replacement would. A callback the JAR does not declare does nothing.
 */
final class JarCallbacks implements Callbacks {

    /** By kind ({@link CallbackScanner#KINDS}). */
    private final Map<String, JarReplacementSource> methods;

    JarCallbacks(Map<String, JarReplacementSource> methods) {
        this.methods = Map.copyOf(methods);
    }

    @Override
    public void prePatch(Class<?> target) {
        call("PrePatch", target);
    }

    @Override
    public void postPatch(Class<?> target) {
        call("PostPatch", target);
    }

    @Override
    public void preUnpatch(Class<?> target) {
        call("PreUnpatch", target);
    }

    @Override
    public void postUnpatch(Class<?> target) {
        call("PostUnpatch", target);
    }

    /**
     * Whatever the method throws, a checked exception included, leaves unwrapped: only PatchCallbacks calls
     * these, and it takes any Throwable as the callback's failure and names it. A wrapper
     * (UndeclaredThrowableException) would put itself before the callback's own exception in the log, the
     * audit and status, which then named that exception twice.
     */
    private void call(String kind, Class<?> target) {
        JarReplacementSource source = methods.get(kind);
        if (source == null) {
            return;
        }
        try {
            invoke(source, target);
        } catch (Throwable t) {
            throw JarCallbacks.<RuntimeException>unchanged(t);
        }
    }

    private static void invoke(JarReplacementSource source, Class<?> target) throws Throwable {
        // The first call initializes the patch class of this loader; a failing initializer is the
        // callback's failure (ExceptionInInitializerError), reported like any other.
        MethodHandle m = source.handleFor(target.getClassLoader());
        m.invokeExact(target);
    }

    /** {@code t} itself, thrown as the unchecked type the compiler is told it is (erasure: no cast at run time). */
    @SuppressWarnings("unchecked")
    private static <T extends Throwable> T unchanged(Throwable t) throws T {
        throw (T) t;
    }
}
