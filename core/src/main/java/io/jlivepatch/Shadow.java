package io.jlivepatch;

import io.jlivepatch.internal.bootstrap.ShadowStore;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Shadow variables, the kernel's {@code klp_shadow_*}: data attached to an existing object without
 * changing its class, for a patch that needs a field the running class does not have (a method
 * patch cannot change an object's layout).
 *
 * <pre>{@code
 * static final long HITS = 0x6a6c_7001L;          // this patch's id: see "Ids" below
 * AtomicLong hits = Shadow.getOrAttach(entry, HITS, AtomicLong.class, AtomicLong::new);
 * hits.incrementAndGet();
 * }</pre>
 *
 * <ul>
 *   <li><b>Keyed by identity.</b> A variable belongs to (object, id): the object is compared with
 *       {@code ==}, never with {@code equals} or {@code hashCode}, so two equal strings or records
 *       have variables of their own. Do not attach to value-based objects ({@code Integer},
 *       {@code Optional}, {@code LocalDate}, ...): which instance you get for a value is not
 *       specified.</li>
 *   <li><b>Weakly held.</b> A variable never keeps its object alive: when the object is collected,
 *       its variables go with it and their values can be collected too (the store lets go of them at
 *       its next write; it runs no thread). A value that refers to its own object keeps that object
 *       alive, as with {@link java.util.WeakHashMap}: refer to it weakly, if at all. Destructors are
 *       not called for variables that went with their object.</li>
 *   <li><b>One store per JVM.</b> Once jlivepatch is installed, this class is the boot loader's copy
 *       (jlivepatch puts it on the bootstrap class path), so patch code of every class loader sees
 *       the same variables, a patch of a JDK class ({@code java.util.HashMap}, say) included. Before
 *       that (a unit test, an application without the agent) the class works as well, as a store
 *       of its own: code that used it before jlivepatch was installed at run time keeps that store.</li>
 *   <li><b>Races.</b> {@link #getOrAttach} runs {@code ctor} at most once per (object, id): a
 *       thread that finds another one's ctor running waits for it and gets its value. No lock of
 *       the store is held while a ctor or dtor runs, so they may use shadow variables themselves
 *       (but a ctor must not ask for the variable it is making). {@link #get} takes no lock. A ctor
 *       must not enable, disable, load or unregister a patch: a patch callback, under jlivepatch's
 *       lock, that asks for the variable would wait for the ctor while the operation waited for that
 *       lock; it is refused ({@code ILLEGAL_STATE}), and {@code awaitTransition} does not wait there.</li>
 *   <li><b>Exceptions.</b> A ctor that throws attaches nothing, and its exception reaches the
 *       caller unchanged; so does a dtor's, the variable being detached anyway. A ctor that returns
 *       null attaches nothing ({@code NullPointerException}): null is what {@code get} says for
 *       "no variable". At the edge of the thread's stack, {@code attach} and {@code getOrAttach}
 *       throw {@code StackOverflowError} before they take hold of the variable: nothing is attached,
 *       and a later call, on any thread, can make it.</li>
 * </ul>
 *
 * <h2>Ids</h2>
 * An id is any {@code long}, chosen by the patch author; the store gives none of them a meaning.
 * Every patch that reads or writes a variable must use the same id for it, and two patches that
 * mean different things must not share one: a cumulative patch that takes over a variable keeps its
 * id (and its value's type). To avoid clashes with other authors' patches, derive ids from something
 * you own, e.g. a fixed prefix per team or product in the upper 32 bits and a number per variable in
 * the lower ones ({@code 0x6a6c_7001_0000_0001L}), and keep them as {@code static final} constants
 * in one class of your patches.
 *
 * <p>This class uses JDK classes only (it may be loaded by the boot loader). Its store uses
 * {@code java.lang.ref}; a patch of a {@code java.lang.ref} method must not use shadow variables.
 */
public final class Shadow {

    private Shadow() {
    }

    /**
     * The value attached to {@code obj} under {@code id}, or null when there is none (or its ctor is
     * still running in another thread).
     *
     * @throws NullPointerException if {@code obj} is null
     */
    public static Object get(Object obj, long id) {
        if (obj == null) {
            throw nullObject("get");
        }
        return ShadowStore.get(obj, id);
    }

    /**
     * {@link #get(Object, long)}, typed. A primitive {@code type} ({@code int.class}) stands for its
     * wrapper ({@code Integer}).
     *
     * @throws ClassCastException   if the value attached is not a {@code type}
     * @throws NullPointerException if {@code obj} or {@code type} is null
     */
    public static <T> T get(Object obj, long id, Class<T> type) {
        if (obj == null) {
            throw nullObject("get");
        }
        if (type == null) {
            throw new NullPointerException("Shadow.get: type is null: give the class of the values of shadow variable " + id);
        }
        return cast(ShadowStore.get(obj, id), id, type);
    }

    /**
     * Attaches the value {@code ctor} makes to {@code obj} under {@code id} (the kernel's
     * {@code klp_shadow_alloc}).
     *
     * @return the value attached
     * @throws IllegalStateException if a value is attached already (it stays attached)
     * @throws NullPointerException  if {@code obj} or {@code ctor} is null, or {@code ctor} returns null
     */
    public static Object attach(Object obj, long id, Supplier<?> ctor) {
        check("attach", obj, id, ctor);
        return ShadowStore.attach(obj, id, ctor, true, null);
    }

    /**
     * The value attached to {@code obj} under {@code id}, or, when there is none, the value
     * {@code ctor} makes, attached (the kernel's {@code klp_shadow_get_or_alloc}). {@code ctor}
     * runs at most once per (object, id), also when threads race for it.
     *
     * @throws NullPointerException  if {@code obj} or {@code ctor} is null, or {@code ctor} returns null
     * @throws IllegalStateException if {@code ctor} asks for the variable it is making
     */
    public static Object getOrAttach(Object obj, long id, Supplier<?> ctor) {
        check("getOrAttach", obj, id, ctor);
        return ShadowStore.attach(obj, id, ctor, false, null);
    }

    /**
     * {@link #getOrAttach(Object, long, Supplier)}, typed. A primitive {@code type} ({@code int.class})
     * stands for its wrapper ({@code Integer}).
     *
     * @throws ClassCastException if the value attached already is not a {@code type}, or {@code ctor}
     *                            makes one that is not (then nothing is attached)
     */
    public static <T> T getOrAttach(Object obj, long id, Class<T> type, Supplier<? extends T> ctor) {
        check("getOrAttach", obj, id, ctor);
        if (type == null) {
            throw new NullPointerException("Shadow.getOrAttach: type is null: give the class of the values of"
                    + " shadow variable " + id);
        }
        // The store checks a new value's type before attaching it: a cast after would throw with the
        // value attached, and every later call would throw the same.
        return cast(ShadowStore.attach(obj, id, ctor, false, boxed(type)), id, type);
    }

    /**
     * Detaches the value attached to {@code obj} under {@code id}, if any (the kernel's
     * {@code klp_shadow_free}). A variable whose ctor is still running is not attached yet and stays.
     *
     * @throws NullPointerException if {@code obj} is null
     */
    public static void detach(Object obj, long id) {
        if (obj == null) {
            throw nullObject("detach");
        }
        ShadowStore.detach(obj, id, null);
    }

    /**
     * {@link #detach(Object, long)}, then gives the value detached, if any, to {@code dtor}. The
     * variable is detached whatever {@code dtor} does; its exception reaches the caller unchanged.
     *
     * @throws NullPointerException if {@code obj} or {@code dtor} is null
     */
    public static void detach(Object obj, long id, Consumer<Object> dtor) {
        if (obj == null) {
            throw nullObject("detach");
        }
        if (dtor == null) {
            throw nullDtor("detach", id);
        }
        ShadowStore.detach(obj, id, dtor);
    }

    /**
     * Detaches every value attached under {@code id}, whatever its object (the kernel's
     * {@code klp_shadow_free_all}): what a patch's {@code postUnpatch} callback does with the
     * variables only it used.
     */
    public static void detachAll(long id) {
        ShadowStore.detachAll(id, null);
    }

    /**
     * {@link #detachAll(long)}, then gives each value detached to {@code dtor}. Every value is
     * detached and given to {@code dtor} whatever it throws; the first exception is then thrown
     * unchanged, with the later ones {@linkplain Throwable#getSuppressed() suppressed} on it.
     *
     * @throws NullPointerException if {@code dtor} is null
     */
    public static void detachAll(long id, Consumer<Object> dtor) {
        if (dtor == null) {
            throw nullDtor("detachAll", id);
        }
        ShadowStore.detachAll(id, dtor);
    }

    private static void check(String method, Object obj, long id, Supplier<?> ctor) {
        if (obj == null) {
            throw nullObject(method);
        }
        if (ctor == null) {
            throw new NullPointerException("Shadow." + method + ": ctor is null: give a Supplier that makes the value"
                    + " of shadow variable " + id);
        }
    }

    private static NullPointerException nullObject(String method) {
        return new NullPointerException("Shadow." + method + ": obj is null: a shadow variable is attached to an"
                + " object; check for null before");
    }

    private static NullPointerException nullDtor(String method, long id) {
        return new NullPointerException("Shadow." + method + ": dtor is null: use " + method + " without a dtor to"
                + " detach shadow variable " + id + " without one");
    }

    /** The class whose instances a {@code type} stands for: the wrapper of a primitive type, else itself. */
    private static Class<?> boxed(Class<?> type) {
        if (!type.isPrimitive()) {
            return type;
        }
        return type == int.class ? Integer.class : type == long.class ? Long.class : type == boolean.class
                ? Boolean.class : type == double.class ? Double.class : type == float.class ? Float.class
                : type == char.class ? Character.class : type == byte.class ? Byte.class : type == short.class
                ? Short.class : Void.class;
    }

    @SuppressWarnings("unchecked") // T of a primitive type's Class is its wrapper (Class<Integer> for int.class)
    private static <T> T cast(Object value, long id, Class<T> type) {
        type = (Class<T>) boxed(type);
        if (value == null || type.isInstance(value)) {
            return type.cast(value);
        }
        if (value.getClass().getName().equals(type.getName())) {
            // The same name in two class loaders: a patch's classes are defined again at each load
            // and for each class loader of its targets (jlivepatch detaches an unregistered patch's
            // own values, unless it was forced).
            throw new ClassCastException("shadow variable " + id + " holds a " + type.getName() + " of another class"
                    + " loader (" + value.getClass().getClassLoader() + ", not " + type.getClassLoader() + "): a"
                    + " patch's own classes are defined again at each load and for each class loader of its"
                    + " targets, so no other copy can read such a value; give variables shared across loads or"
                    + " class loaders a JDK or application type");
        }
        throw new ClassCastException("shadow variable " + id + " holds a " + value.getClass().getName() + ", not a "
                + type.getName() + "; do two patches use the same id for different variables?");
    }
}
