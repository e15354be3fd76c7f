package io.jlivepatch.internal.transition;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/** Thread facts that need a newer JDK than the one jlivepatch is compiled for. */
final class Threads {

    /** {@code Thread.isVirtual()} (JDK 21+), or null on older JDKs where no thread is virtual. */
    private static final MethodHandle IS_VIRTUAL = find();

    private Threads() {
    }

    private static MethodHandle find() {
        try {
            return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual", MethodType.methodType(boolean.class));
        } catch (ReflectiveOperationException e) {
            return null;
        }
    }

    static boolean isVirtual(Thread t) {
        if (IS_VIRTUAL == null) {
            return false;
        }
        try {
            return (boolean) IS_VIRTUAL.invokeExact(t);
        } catch (Throwable e) {
            return false;
        }
    }
}
