package com.acme.recursion;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Filter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Behaviour-preserving replacements of JDK methods that jlivepatch itself uses on its hook path.
 * Each counts its calls, so the driver can tell that the replacement really ran.
 */
public final class JdkFixes {

    public static final AtomicLong CALLS = new AtomicLong();
    /** A thread of jlivepatch's own that ran a replacement (none may), or null. */
    public static final java.util.concurrent.atomic.AtomicReference<String> OWN_THREAD =
            new java.util.concurrent.atomic.AtomicReference<>();

    private JdkFixes() {
    }

    private static void ran() {
        CALLS.incrementAndGet();
        Thread t = Thread.currentThread();
        if (t.getName().startsWith("jlivepatch-")) {
            OWN_THREAD.compareAndSet(null, t.getName());
        }
    }

    /** {@code HashMap.hash(Object)}: the JDK's own spreading of the key's hash code. */
    public static int hash(Object key) {
        ran();
        int h;
        return key == null ? 0 : (h = key.hashCode()) ^ (h >>> 16);
    }

    /** {@code ArrayList.get(int)}, through a view that reads the backing array without calling get. */
    public static Object get(ArrayList<?> self, int index) {
        ran();
        return self.subList(index, index + 1).get(0);
    }

    /** {@code StringBuilder.append(String)}, as an insert at the end. */
    public static StringBuilder append(StringBuilder self, String s) {
        ran();
        return self.insert(self.length(), s);
    }

    /** {@code Logger.log(LogRecord)}: level, filter, then the handlers up the parent chain. */
    public static void log(Logger self, LogRecord record) {
        ran();
        if (!self.isLoggable(record.getLevel())) {
            return;
        }
        Filter f = self.getFilter();
        if (f != null && !f.isLoggable(record)) {
            return;
        }
        for (Logger l = self; l != null; l = l.getParent()) {
            for (Handler h : l.getHandlers()) {
                h.publish(record);
            }
            if (!l.getUseParentHandlers()) {
                break;
            }
        }
    }

    /**
     * {@code ThreadLocal.get()}: what the JDK's own does, through its private methods (the driver's
     * JVM opens java.lang to this test). JDK 19+ has {@code get(Thread)}; JDK 17 reads the map itself.
     */
    public static Object get(ThreadLocal<?> self) {
        ran();
        try {
            if (ThreadLocalInternals.GET_FOR != null) {
                return ThreadLocalInternals.GET_FOR.invoke(self, Thread.currentThread());
            }
            Object map = ThreadLocalInternals.GET_MAP.invoke(self, Thread.currentThread());
            if (map != null) {
                Object entry = ThreadLocalInternals.GET_ENTRY.invoke(map, self);
                if (entry != null) {
                    return ThreadLocalInternals.VALUE.invoke(entry);
                }
            }
            return ThreadLocalInternals.SET_INITIAL.invoke(self);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A method the force and reversal cycles park a thread in, so that a transition stays open. */
    public static void park(CountDownLatch release) {
        ran();
        await(release);
    }

    /** The original of {@link Holder#park}. */
    public static void await(CountDownLatch release) {
        try {
            release.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A class of the application whose method holds a thread in a transition. */
    public static final class Holder {
        private Holder() {
        }

        public static void park(CountDownLatch release) {
            await(release);
        }
    }

    /** Private members of ThreadLocal, found once. */
    private static final class ThreadLocalInternals {
        static final MethodHandle GET_FOR;
        static final MethodHandle GET_MAP;
        static final MethodHandle GET_ENTRY;
        static final MethodHandle VALUE;
        static final MethodHandle SET_INITIAL;

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.privateLookupIn(ThreadLocal.class, MethodHandles.lookup());
                MethodHandle getFor = null;
                MethodHandle getMap = null;
                MethodHandle getEntry = null;
                MethodHandle value = null;
                MethodHandle setInitial = null;
                try {
                    getFor = l.findVirtual(ThreadLocal.class, "get", MethodType.methodType(Object.class, Thread.class));
                } catch (NoSuchMethodException jdk17) {
                    Class<?> map = Class.forName("java.lang.ThreadLocal$ThreadLocalMap");
                    Class<?> entry = Class.forName("java.lang.ThreadLocal$ThreadLocalMap$Entry");
                    getMap = l.findVirtual(ThreadLocal.class, "getMap", MethodType.methodType(map, Thread.class))
                            .asType(MethodType.methodType(Object.class, ThreadLocal.class, Thread.class));
                    getEntry = l.findVirtual(map, "getEntry", MethodType.methodType(entry, ThreadLocal.class))
                            .asType(MethodType.methodType(Object.class, Object.class, ThreadLocal.class));
                    value = l.findGetter(entry, "value", Object.class)
                            .asType(MethodType.methodType(Object.class, Object.class));
                    setInitial = l.findVirtual(ThreadLocal.class, "setInitialValue", MethodType.methodType(Object.class));
                }
                GET_FOR = getFor;
                GET_MAP = getMap;
                GET_ENTRY = getEntry;
                VALUE = value;
                SET_INITIAL = setInitial;
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }
}
