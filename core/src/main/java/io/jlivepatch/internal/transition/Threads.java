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

    /**
     * The live platform threads, from the root thread group: unlike {@code Thread.getAllStackTraces}
     * it takes no stack of any thread (a safepoint and a walk of every stack, for a list of names).
     */
    static java.util.List<Thread> live() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] threads = new Thread[root.activeCount() + 16];
        int n;
        while ((n = root.enumerate(threads, true)) == threads.length) {
            threads = new Thread[threads.length * 2];
        }
        java.util.List<Thread> out = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            if (threads[i].isAlive()) {
                out.add(threads[i]);
            }
        }
        return out;
    }

    /**
     * Whether a virtual thread may exist: one of {@code live} is a carrier thread of the JDK's
     * virtual-thread scheduler, which starts with the first virtual thread and ends some time after
     * the last (the JDK has no other scheduler an application can give them).
     */
    static boolean mayHaveVirtualThreads(java.util.List<Thread> live) {
        if (IS_VIRTUAL == null) {
            return false;
        }
        for (Thread t : live) {
            if (t.getClass().getName().equals("jdk.internal.misc.CarrierThread")) {
                return true;
            }
        }
        return false;
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
