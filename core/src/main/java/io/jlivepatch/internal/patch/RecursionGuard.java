package io.jlivepatch.internal.patch;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * jlivepatch's side of the boot loader's {@code Recursion} (the kernel's ftrace recursion lock),
 * reached through method handles like {@code Dispatch}. Every entry into jlivepatch's own code on a
 * thread that may meet a hook (the hook path's routing and stack checks, the transformer, life-cycle
 * operations, JMX, the transition worker) runs between {@link #enter()} and {@link #exit(int)}, in a
 * {@code try}/{@code finally}:
 *
 * <pre>{@code
 * int mark = RecursionGuard.enter();
 * try { ... } finally { RecursionGuard.exit(mark); }
 * }</pre>
 *
 * While a thread is marked, every hook it meets runs the original method: no replacement runs on
 * jlivepatch's behalf, and a patched JDK method that jlivepatch itself uses cannot loop back into it.
 * Before jlivepatch is installed both are no-ops.
 */
public final class RecursionGuard {

    static final String CLASS = "io.jlivepatch.internal.bootstrap.Recursion";

    // Written once by install (the first Livepatch.install, under Livepatch.class) before any hook
    // exists; volatile so that threads entering later see the handles.
    private static volatile MethodHandle enter;
    private static volatile MethodHandle exit;
    private static volatile MethodHandle outside;

    private RecursionGuard() {
    }

    /** Binds to the boot loader's copy of {@code Recursion}. */
    static void install(Class<?> recursion) throws ReflectiveOperationException {
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        MethodHandle o = lookup.findStatic(recursion, "outside", MethodType.methodType(boolean.class));
        exit = lookup.findStatic(recursion, "exit", MethodType.methodType(void.class, int.class));
        outside = o;
        enter = lookup.findStatic(recursion, "enter", MethodType.methodType(int.class));
        // Links and customizes the invocations now. The JDK customizes a method handle after 127
        // generic invocations, loading java.lang.invoke classes then (MethodHandle$1); were that
        // inside a class load that the transformer sees, the transformer's own enter() would need
        // the class being loaded: a ClassCircularityError in the application's class load.
        for (int i = 0; i < 256; i++) {
            exit(enter());
            inside();
        }
    }

    /** Marks the calling thread; returns what {@link #exit(int)} takes. */
    public static int enter() {
        MethodHandle h = enter;
        if (h == null) {
            return -1;
        }
        try {
            return (int) h.invokeExact();
        } catch (Throwable t) {
            return -1; // cannot happen: Recursion.enter throws nothing
        }
    }

    public static void exit(int mark) {
        if (mark < 0) {
            return;
        }
        try {
            exit.invokeExact(mark);
        } catch (Throwable t) {
            // cannot happen: Recursion.exit throws nothing
        }
    }

    /** {@code ()boolean}: true when the calling thread runs no jlivepatch code; one shared handle. */
    static MethodHandle outside() {
        return outside;
    }

    /** Whether the calling thread is marked now; for tests. */
    public static boolean inside() {
        MethodHandle o = outside;
        try {
            return o != null && !(boolean) o.invokeExact();
        } catch (Throwable t) {
            return false;
        }
    }
}
