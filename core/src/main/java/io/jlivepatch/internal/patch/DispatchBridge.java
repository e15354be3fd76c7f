package io.jlivepatch.internal.patch;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.function.BiFunction;
import java.util.function.BiPredicate;

/**
 * Calls into the boot loader's {@code Dispatch} through method handles: naming the class would
 * make jlivepatch's own class loader define a second, useless copy.
 */
final class DispatchBridge {

    private final MethodHandle install;
    private final MethodHandle relinkAll;
    private final MethodHandle relink;
    private final MethodHandle forget;
    private final MethodHandle linkedMethods;

    DispatchBridge(Class<?> dispatch) {
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        try {
            install = lookup.findStatic(dispatch, "install", MethodType.methodType(boolean.class, BiFunction.class));
            relinkAll = lookup.findStatic(dispatch, "relinkAll", MethodType.methodType(void.class));
            relink = lookup.findStatic(dispatch, "relink", MethodType.methodType(void.class, BiPredicate.class));
            forget = lookup.findStatic(dispatch, "forget", MethodType.methodType(void.class, Class.class, String.class));
            linkedMethods = lookup.findStatic(dispatch, "linkedMethods", MethodType.methodType(int.class, Class.class));
            RecursionGuard.install(Class.forName(RecursionGuard.CLASS, true, null));
            // Loads what Dispatch's registry uses (ClassValue's map) before any class is hooked: a hook
            // linked in the middle of that class's own loading would be a class circularity.
            linkedMethods(dispatch);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the Dispatch class on the bootstrap class path does not match this"
                    + " jlivepatch: another version of jlivepatch was loaded into this JVM before", e);
        }
    }

    boolean install(BiFunction<Class<?>, String, MethodHandle[]> resolver) {
        try {
            return (boolean) install.invokeExact(resolver);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void relinkAll() {
        try {
            relinkAll.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Relinks the linked sites of the methods {@code which} selects (class, method key). */
    void relink(BiPredicate<Class<?>, String> which) {
        try {
            relink.invokeExact(which);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    void forget(Class<?> owner, String methodKey) {
        try {
            forget.invokeExact(owner, methodKey);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    int linkedMethods(Class<?> owner) {
        try {
            return (int) linkedMethods.invokeExact(owner);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException) {
            return (RuntimeException) t;
        }
        if (t instanceof Error) {
            throw (Error) t;
        }
        return new IllegalStateException(t);
    }
}
