package io.jlivepatch.internal.jar;

import io.jlivepatch.Callbacks;

import java.lang.invoke.MethodHandle;
import java.lang.reflect.UndeclaredThrowableException;
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
    public void prePatch(Class<?> target) throws Exception {
        try {
            call("PrePatch", target);
        } catch (Exception | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new UndeclaredThrowableException(t);
        }
    }

    @Override
    public void postPatch(Class<?> target) {
        unchecked("PostPatch", target);
    }

    @Override
    public void preUnpatch(Class<?> target) {
        unchecked("PreUnpatch", target);
    }

    @Override
    public void postUnpatch(Class<?> target) {
        unchecked("PostUnpatch", target);
    }

    private void unchecked(String kind, Class<?> target) {
        try {
            call(kind, target);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new UndeclaredThrowableException(t, kind + " of " + target.getName() + " threw " + t);
        }
    }

    private void call(String kind, Class<?> target) throws Throwable {
        JarReplacementSource source = methods.get(kind);
        if (source == null) {
            return;
        }
        // The first call initializes the patch class of this loader; a failing initializer is the
        // callback's failure (ExceptionInInitializerError), reported like any other.
        MethodHandle m = source.handleFor(target.getClassLoader());
        m.invokeExact(target);
    }
}
