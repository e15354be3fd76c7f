package io.jlivepatch.internal.patch;

import java.lang.invoke.MethodHandle;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.BiPredicate;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * Calls into the boot loader's {@code Dispatch} through the JDK's functional interfaces that its
 * {@code calls()} object implements: naming the class would make jlivepatch's own class loader
 * define a second, useless copy, and method handles would cost the JDK's compiling of each
 * invocation ({@code Recursion.calls} says more).
 */
final class DispatchBridge {

    private final Predicate<BiFunction<Class<?>, String, MethodHandle[]>> install;
    private final Runnable relinkAll;
    private final Consumer<BiPredicate<Class<?>, String>> relink;
    private final BiConsumer<Class<?>, String> forget;
    private final ToIntFunction<Class<?>> linkedMethods;
    private final BooleanSupplier relinking;

    @SuppressWarnings("unchecked") // Dispatch.Calls implements each with exactly these type arguments
    DispatchBridge(Class<?> dispatch) {
        try {
            Object calls = BootstrapClassPath.callsOf(dispatch);
            install = (Predicate<BiFunction<Class<?>, String, MethodHandle[]>>) calls;
            relinkAll = (Runnable) calls;
            relink = (Consumer<BiPredicate<Class<?>, String>>) calls;
            forget = (BiConsumer<Class<?>, String>) calls;
            linkedMethods = (ToIntFunction<Class<?>>) calls;
            relinking = (BooleanSupplier) calls;
            RecursionGuard.install(Class.forName(RecursionGuard.CLASS, true, null));
        } catch (ReflectiveOperationException | ClassCastException e) {
            throw new IllegalStateException("the Dispatch class on the bootstrap class path does not match this"
                    + " jlivepatch: another version of jlivepatch was loaded into this JVM before (its agent, or its"
                    + " classes on -Xbootclasspath/a" + foundAt() + "); use that version's command, or restart the JVM"
                    + " with one version of jlivepatch only", e);
        }
        // Loads what Dispatch's registry uses (ClassValue's map) before any class is hooked: a hook
        // linked in the middle of that class's own loading would be a class circularity.
        linkedMethods(dispatch);
    }

    /**
     * Where the boot loader found the other version's Dispatch ({@code ": jar:file:/...!/..."}), for the
     * operator to know which JAR to take away; empty when it cannot tell. Asked only on this refusal.
     */
    private static String foundAt() {
        try {
            java.net.URL url = ClassLoader.getSystemResource(PrologueInjector.DISPATCH.concat(".class"));
            return url == null ? "" : ": ".concat(url.toString());
        } catch (RuntimeException e) {
            return "";
        }
    }

    boolean install(BiFunction<Class<?>, String, MethodHandle[]> resolver) {
        return install.test(resolver);
    }

    void relinkAll() {
        relinkAll.run();
    }

    /** Relinks the linked sites of the methods {@code which} selects (class, method key). */
    void relink(BiPredicate<Class<?>, String> which) {
        relink.accept(which);
    }

    void forget(Class<?> owner, String methodKey) {
        forget.accept(owner, methodKey);
    }

    int linkedMethods(Class<?> owner) {
        return linkedMethods.applyAsInt(owner);
    }

    /** Dispatch's {@code relinking}: whether the resolution that runs on this thread relinks a site that runs a patch. */
    BooleanSupplier relinking() {
        return relinking;
    }
}
