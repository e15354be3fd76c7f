package io.jlivepatch.internal.bootstrap;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The store behind {@code io.jlivepatch.Shadow} (the kernel's {@code shadow.c}): values attached to
 * objects by (object identity, id), weakly held, one store per class that defines it, which once
 * jlivepatch is installed is the boot loader's, seen by every class loader.
 *
 * <p>The store is 64 stripes, each an open-addressed table (linear probing) of {@link Entry}s, weak
 * references to their objects. Reads take no lock and allocate nothing: a volatile read of the
 * stripe's table, then acquiring reads of slots until the entry or an empty slot. Writes lock their
 * stripe only; they put an entry into a slot with a releasing write, so that a reader that sees the
 * entry sees it whole (the referent the {@code WeakReference} constructor wrote included). A removed
 * entry leaves a {@link #TOMBSTONE}, which readers step over like any entry of another key; a
 * growing or cleaning stripe copies its live entries into a new table and publishes it with a
 * volatile write, and never changes a table it has replaced.
 *
 * <p>An entry's life, by its two volatile fields:
 * <pre>
 *   value   constructor   in its table   meaning
 *   null    thread T      yes            T runs the ctor; get() says null, a getOrAttach waits for T
 *   v       null          yes            attached: get() says v
 *   null    null          no             abandoned (the ctor threw), detached, or its object collected
 * </pre>
 *
 * <p>Entries whose object was collected are found by the GC's {@link ReferenceQueue} and removed by
 * the next write to the store ({@code attach}, {@code getOrAttach} on a miss, {@code detach*}), which
 * also drops the value: no thread of its own. Until then a read skips them ({@code refersTo} no longer
 * matches any object).
 *
 * <p>On the bootstrap class path with {@link Dispatch}, so it uses JDK classes only. It must not call
 * a patchable JDK method that a patch using shadow variables could replace: only {@code java.lang.ref}
 * and {@code java.lang.invoke} (the {@code VarHandle}), besides the patch's own ctor and dtor.
 */
public final class ShadowStore {

    private static final int STRIPE_BITS = 6;
    private static final int STRIPE_SHIFT = 32 - STRIPE_BITS;
    private static final int FIRST_CAPACITY = 8;

    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(Entry[].class);

    /** Where the GC puts the entries whose object it collected; drained by {@link #purge()}. */
    private static final ReferenceQueue<Object> COLLECTED = new ReferenceQueue<>();

    /** What a removed entry leaves in its slot: it refers to nothing, so it matches no lookup. */
    private static final Entry TOMBSTONE = new Entry(null, 0, 0L, null, null);

    private static final Stripe[] STRIPES = new Stripe[1 << STRIPE_BITS];

    static {
        // Creating a Stripe and the TOMBSTONE above loads both nested classes now, while the class
        // that this class's loader finds for them is its own copy. Resolved later, after jlivepatch
        // appended the boot JAR, the application loader's copy of this class (used before the
        // install) would get the boot loader's nested classes, which it may not access.
        for (int i = 0; i < STRIPES.length; i++) {
            STRIPES[i] = new Stripe();
        }
    }

    private ShadowStore() {
    }

    /** The value attached to {@code obj} under {@code id}, or null. No lock, no allocation. */
    public static Object get(Object obj, long id) {
        int h = hash(obj, id);
        Entry[] tab = STRIPES[h >>> STRIPE_SHIFT].table; // volatile: pairs with Stripe.publish
        int mask = tab.length - 1;
        for (int i = h & mask; ; i = (i + 1) & mask) {
            // Acquire: pairs with the releasing write of Stripe.put, for the entry's fields.
            Entry e = (Entry) SLOTS.getAcquire(tab, i);
            if (e == null) {
                return null;
            }
            if (e.hash == h && e.id == id && e.refersTo(obj)) {
                return e.value;
            }
        }
    }

    /**
     * The value attached to {@code obj} under {@code id}; if none, attaches what {@code ctor} makes
     * (or, with {@code mustBeNew}, only that). The ctor runs without any lock of the store, at most
     * once per (object, id) at a time: a thread that finds another one's ctor running waits for it.
     *
     * @param expected the class a new value must be an instance of, or {@code null} for any
     * @throws IllegalStateException with {@code mustBeNew}, when a value is attached already; or
     *                               when the ctor asks for the variable it is making
     * @throws ClassCastException    when the ctor makes a value that is not an {@code expected} (nothing
     *                               is attached)
     */
    public static Object attach(Object obj, long id, Supplier<?> ctor, boolean mustBeNew, Class<?> expected) {
        if (!mustBeNew) {
            Object hit = get(obj, id);
            if (hit != null) {
                return hit;
            }
        }
        // From the claim of an entry on, only its settling (or abandon, when the ctor throws) lets it go:
        // a StackOverflowError on that path, at the edge of the caller's stack (a patch deep in a
        // recursion), would leave it claimed by this thread for good, every later getOrAttach of the
        // variable waiting for ever on other threads and refused on this one. The path is far shallower
        // than StackRoom's probe, so it fits wherever the probe did; without room, nothing is claimed.
        if (!StackRoom.left()) {
            throw new StackOverflowError("no stack left to attach shadow variable " + id + " on this thread;"
                    + " nothing was attached");
        }
        purge();
        int h = hash(obj, id);
        Stripe s = STRIPES[h >>> STRIPE_SHIFT];
        Thread self = Thread.currentThread();
        try {
            for (;;) {
                Entry mine = null;
                Entry theirs;
                Object existing = null;
                synchronized (s) {
                    theirs = s.find(obj, id, h);
                    if (theirs == null) {
                        mine = new Entry(obj, h, id, self, COLLECTED);
                        s.put(mine);
                    } else {
                        existing = theirs.value;
                    }
                }
                if (mine != null) {
                    return construct(s, mine, id, ctor, expected);
                }
                if (existing != null) {
                    if (mustBeNew) {
                        throw new IllegalStateException("shadow variable " + id + " is already attached to this "
                                + obj.getClass().getName() + " (a " + existing.getClass().getName()
                                + "); attach keeps it: use getOrAttach to share it, or detach it first");
                    }
                    return existing;
                }
                if (theirs.constructor == self) {
                    throw new IllegalStateException("the ctor of shadow variable " + id + " asked for the same"
                            + " variable of the same object while making it; a ctor must not use the variable it makes");
                }
                theirs.awaitSettled();
                // Attached (found next round), or abandoned (gone: this thread may claim it).
            }
        } finally {
            // obj must outlive its entry's construction: a collected object's entry is cleared.
            Reference.reachabilityFence(obj);
        }
    }

    private static Object construct(Stripe s, Entry mine, long id, Supplier<?> ctor, Class<?> expected) {
        Object value;
        try {
            value = ctor.get();
        } catch (Throwable t) {
            abandon(s, mine);
            throw t;
        }
        if (value == null) {
            abandon(s, mine);
            throw new NullPointerException("the ctor of shadow variable " + id + " returned null: a shadow variable"
                    + " needs a value (nothing was attached)");
        }
        if (expected != null && !expected.isInstance(value)) {
            abandon(s, mine);
            Class<?> made = value.getClass();
            throw new ClassCastException("the ctor of shadow variable " + id + " made a " + made.getName()
                    + (made.getName().equals(expected.getName()) ? " of another class loader (" + made.getClassLoader()
                    + ", not " + expected.getClassLoader() + ")" : "") + ", not a " + expected.getName()
                    + " (nothing was attached)");
        }
        mine.settle(value);
        return value;
    }

    private static void abandon(Stripe s, Entry mine) {
        synchronized (s) {
            s.remove(mine);
        }
        mine.clear();
        mine.settle(null);
    }

    /**
     * Detaches the value of {@code obj} under {@code id}, if one is attached, and gives it to
     * {@code dtor} (when not null) after the store let go of it. A variable whose ctor still runs is
     * not attached yet: it stays.
     */
    public static void detach(Object obj, long id, Consumer<Object> dtor) {
        purge();
        int h = hash(obj, id);
        Stripe s = STRIPES[h >>> STRIPE_SHIFT];
        Entry e;
        Object value;
        synchronized (s) {
            e = s.find(obj, id, h);
            if (e == null || (value = e.value) == null) {
                return;
            }
            s.remove(e);
        }
        e.drop();
        if (dtor != null) {
            dtor.accept(value);
        }
    }

    /**
     * Detaches every value attached under {@code id}, then gives each to {@code dtor} (when not
     * null). Every value is detached and every dtor call made whatever a dtor throws; the first
     * throwable is then thrown, with the later ones suppressed on it.
     */
    public static void detachAll(long id, Consumer<Object> dtor) {
        Entry[] removed = removeAll(id, null, null);
        Throwable first = null;
        for (Entry e : removed) {
            Object value = e.value;
            e.drop();
            if (dtor == null || value == null) {
                continue;
            }
            try {
                dtor.accept(value);
            } catch (Throwable t) {
                if (first == null) {
                    first = t;
                } else if (first != t) {
                    first.addSuppressed(t);
                }
            }
        }
        if (first != null) {
            ShadowStore.<RuntimeException>rethrow(first);
        }
    }

    /**
     * Detaches every value whose class (an array's: its element type's) was defined by one of
     * {@code loaders}, or is one of {@code classes} (a patch's hidden nestmates, defined in an
     * application's loader), compared by identity, whatever its id; no dtor runs. For an unregistered
     * patch's own class loaders: no class of another loader can cast such a value, so a later load of
     * the same patch (other loaders, other classes of the same names) would fail with a
     * {@code ClassCastException} at every read, and the value would keep the unregistered patch's
     * classes, code and loader alive with its object. Values whose ctor still runs stay.
     *
     * @return how many values were detached
     */
    public static int detachValuesOf(ClassLoader[] loaders, Class<?>[] classes) {
        Entry[] removed = removeAll(0L, loaders, classes);
        for (Entry e : removed) {
            e.drop();
        }
        return removed.length;
    }

    /**
     * Takes out of their tables the attached entries (their object not collected) of variable
     * {@code id}, or, with {@code loaders}, those whose value's class one of them defined or is one of
     * {@code classes}, whatever their id; the caller drops them (and gives their values to a dtor) outside the stripes' locks.
     */
    private static Entry[] removeAll(long id, ClassLoader[] loaders, Class<?>[] classes) {
        purge();
        Entry[] removed = new Entry[8];
        int n = 0;
        for (Stripe s : STRIPES) {
            synchronized (s) {
                Entry[] tab = s.table;
                for (int i = 0; i < tab.length; i++) {
                    Entry e = tab[i];
                    Object value;
                    // A cleared entry went with its object: purged, not given to a dtor.
                    if (e != null && (value = e.value) != null && !e.refersTo(null)
                            && (loaders == null ? e.id == id : ofOneOf(value.getClass(), loaders, classes))) {
                        SLOTS.setRelease(tab, i, TOMBSTONE); // as in Stripe.remove
                        s.live--;
                        if (n == removed.length) {
                            Entry[] more = new Entry[n * 2];
                            System.arraycopy(removed, 0, more, 0, n);
                            removed = more;
                        }
                        removed[n++] = e;
                    }
                }
            }
        }
        if (n == removed.length) {
            return removed;
        }
        Entry[] taken = new Entry[n];
        System.arraycopy(removed, 0, taken, 0, n);
        return taken;
    }

    private static boolean ofOneOf(Class<?> c, ClassLoader[] loaders, Class<?>[] classes) {
        ClassLoader l = c.getClassLoader(); // an array class's is its element type's
        for (ClassLoader candidate : loaders) {
            if (candidate == l && l != null) {
                return true;
            }
        }
        if (classes.length == 0) {
            return false;
        }
        Class<?> element = c;
        while (element.isArray()) {
            element = element.getComponentType();
        }
        for (Class<?> candidate : classes) {
            if (candidate == element) {
                return true;
            }
        }
        return false;
    }

    /** Throws {@code t} as it is, checked or not (a dtor may throw a checked exception sneakily). */
    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void rethrow(Throwable t) throws T {
        throw (T) t;
    }

    /** Removes the entries whose object the GC collected, and lets go of their values. */
    private static void purge() {
        Reference<?> r;
        while ((r = COLLECTED.poll()) != null) {
            Entry e = (Entry) r;
            Stripe s = STRIPES[e.hash >>> STRIPE_SHIFT];
            synchronized (s) {
                s.remove(e);
            }
            e.drop();
        }
    }

    /**
     * Spreads the object's identity hash and the id over all 32 bits: the stripe comes from the top
     * bits, the slot from the bottom ones. Ids are often small and consecutive, hence the multiplier.
     */
    private static int hash(Object obj, long id) {
        int h = System.identityHashCode(obj) + (int) (id ^ (id >>> 32)) * 0x9E3779B9;
        h ^= h >>> 16;
        h *= 0x85EBCA6B;
        return h ^ (h >>> 13);
    }

    /** The number of entries in the store's tables, the collected ones not purged yet included; for tests. */
    public static int size() {
        int n = 0;
        for (Stripe s : STRIPES) {
            synchronized (s) {
                n += s.live;
            }
        }
        return n;
    }

    /** One shadow variable: a weak reference to its object, with its id and value. */
    private static final class Entry extends WeakReference<Object> {
        final int hash;
        final long id;
        /** Null while the ctor runs; written once by the constructing thread, then null when dropped. */
        volatile Object value;
        /** The thread running the ctor, null once it has returned or thrown; read by waiters. */
        volatile Thread constructor;

        Entry(Object obj, int hash, long id, Thread constructor, ReferenceQueue<Object> queue) {
            super(obj, queue);
            this.hash = hash;
            this.id = id;
            this.constructor = constructor;
        }

        /** The ctor is done: {@code value} attached, or null when it was abandoned. Wakes the waiters. */
        void settle(Object v) {
            synchronized (this) {
                // value before constructor: a waiter that sees constructor null (volatile) sees the value.
                value = v;
                constructor = null;
                notifyAll(); // pairs with the wait in awaitSettled
            }
        }

        /** Waits, not interruptibly, until the constructing thread has settled this entry. */
        void awaitSettled() {
            boolean interrupted = false;
            synchronized (this) {
                while (constructor != null) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        /** Out of its table: lets go of the value, and of the object so the GC need not enqueue it. */
        void drop() {
            value = null;
            clear();
        }
    }

    /**
     * One stripe: a table of entries, written under the stripe's monitor (every method here is
     * called with it held), read without it.
     */
    private static final class Stripe {
        /** Replaced whole by {@link #publish}; its slots are written with releasing writes. */
        volatile Entry[] table = new Entry[FIRST_CAPACITY];
        /** Entries in the table (tombstones not counted); guarded by this. */
        int live;
        /** Slots not null: entries and tombstones; guarded by this. */
        int used;

        Entry find(Object obj, long id, int h) {
            Entry[] tab = table;
            int mask = tab.length - 1;
            for (int i = h & mask; ; i = (i + 1) & mask) {
                Entry e = tab[i];
                if (e == null) {
                    return null;
                }
                if (e.hash == h && e.id == id && e.refersTo(obj)) {
                    return e;
                }
            }
        }

        /** Adds an entry whose key {@link #find} did not find. */
        void put(Entry e) {
            // At most half the slots used, so that a probe always ends at an empty slot, and soon.
            if ((used + 1) * 2 > table.length) {
                rebuild();
            }
            Entry[] tab = table;
            int mask = tab.length - 1;
            int i = e.hash & mask;
            while (tab[i] != null && tab[i] != TOMBSTONE) {
                i = (i + 1) & mask;
            }
            if (tab[i] == null) {
                used++;
            }
            live++;
            SLOTS.setRelease(tab, i, e); // pairs with the acquiring reads of get
        }

        void remove(Entry e) {
            Entry[] tab = table;
            int mask = tab.length - 1;
            for (int i = e.hash & mask; tab[i] != null; i = (i + 1) & mask) {
                if (tab[i] == e) {
                    SLOTS.setRelease(tab, i, TOMBSTONE);
                    live--;
                    return;
                }
            }
        }

        /**
         * Copies the live entries into a new table, a quarter full at most, without tombstones and
         * without entries whose object was collected (their values are dropped; purge will not
         * find them).
         */
        private void rebuild() {
            Entry[] old = table;
            int keep = 0;
            for (Entry e : old) {
                if (e != null && e != TOMBSTONE && !e.refersTo(null)) {
                    keep++;
                }
            }
            int capacity = FIRST_CAPACITY;
            while (capacity < (keep + 1) * 4) {
                capacity <<= 1;
            }
            Entry[] tab = new Entry[capacity];
            int mask = capacity - 1;
            for (Entry e : old) {
                if (e == null || e == TOMBSTONE) {
                    continue;
                }
                if (e.refersTo(null)) {
                    e.value = null;
                    continue;
                }
                int i = e.hash & mask;
                while (tab[i] != null) {
                    i = (i + 1) & mask;
                }
                tab[i] = e;
            }
            live = keep;
            used = keep;
            publish(tab);
        }

        private void publish(Entry[] tab) {
            // Volatile write after the plain writes that filled tab: pairs with the volatile read of
            // table in get, which then sees every slot filled here.
            table = tab;
        }
    }
}
