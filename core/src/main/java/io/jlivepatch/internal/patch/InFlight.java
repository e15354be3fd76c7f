package io.jlivepatch.internal.patch;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Definitions of watched classes (a target of a registered patch, or a class the table hooks) that
 * passed jlivepatch's transformer and that no scan of {@link HookManager}'s has seen loaded yet.
 *
 * <p>Why records, not a time: a definition finishes only after every later transformer (another
 * agent's) and the JVM's parsing, and java.lang.instrument says nothing when it does. Until then
 * {@code getAllLoadedClasses} does not show the class, so an operation that publishes a table and
 * scans meanwhile misses it, and the class would keep the hooks of the table its definition read.
 * Another agent's transformer, a slow class loader or a stopped thread can hold a definition for
 * any time, so no margin of time can tell that none is pending; a record says so until a scan finds
 * the class ({@link InFlightFollowUp}), or its bound passes (a definition that failed after
 * jlivepatch's transformer is never seen).
 *
 * <p>Added by the defining thread (inside the transformer, lock-free: a queue of
 * {@code java.util.concurrent}, which no patch can hook), read and removed only under the
 * registry's lock (HookManager.apply, the follow-up).
 */
final class InFlight {

    /** One definition: its loader (weakly held), its class's binary name and the table it was hooked from. */
    static final class Definition {
        private final WeakReference<ClassLoader> loader; // null: the boot loader, or known by loaderHash only
        /**
         * For a definition found by {@link HookLedger#watch} (made before its class was watched), its
         * loader's identity hash (0: the boot loader), and {@link #byHash} set: the ledger keeps no
         * reference to the loader of every definition, only this, so a loader of the same hash and a
         * class of the same name is taken for it (at worst one more class is retransformed to the
         * hooks it should have anyway).
         */
        private final int loaderHash;
        private final boolean byHash;
        final String name;
        /**
         * The table of the transformer's last pass. Written by the defining thread before each of its
         * reads of the table (HookTransformer), read under the registry's lock after the table's
         * publication: of the two, at least one sees the other's write (both volatile), so either the
         * transformer hooked from the new table or the operation sees this record with the older one.
         */
        volatile LinkTable madeFrom;
        /** {@link System#nanoTime()} when it passed the transformer: for the bound and the log, never for hooks. */
        final long since;

        Definition(ClassLoader loader, String name, LinkTable madeFrom, long since) {
            this.loader = loader == null ? null : new WeakReference<>(loader);
            this.loaderHash = 0;
            this.byHash = false;
            this.name = name;
            this.madeFrom = madeFrom;
            this.since = since;
        }

        private Definition(int loaderHash, String name, LinkTable madeFrom, long since) {
            this.loader = null;
            this.loaderHash = loaderHash;
            this.byHash = true;
            this.name = name;
            this.madeFrom = madeFrom;
            this.since = since;
        }

        /** Whether {@code c} is this definition's class (same name, same defining loader). */
        boolean of(Class<?> c) {
            ClassLoader l = c.getClassLoader();
            if (!c.getName().equals(name)) {
                return false;
            }
            if (byHash) {
                return System.identityHashCode(l) == loaderHash;
            }
            return loader == null ? l == null : l != null && loader.get() == l;
        }

        /** Whether its loader was collected: its class can never be seen, nor run (unknown when byHash). */
        boolean gone() {
            return loader != null && loader.get() == null;
        }

        /** Its loader for the log: by name, or, known only by identity hash, as that. */
        String loaderName() {
            return byHash ? (loaderHash == 0 ? "bootstrap"
                    : "a class loader of identity hash " + Integer.toHexString(loaderHash)) : LoaderNames.of(loader());
        }

        ClassLoader loader() {
            return loader == null ? null : loader.get();
        }
    }

    /**
     * At most this many records: a class loader per request defining a target class, say, with no
     * operation to see them meanwhile. A definition beyond it is not recorded and falls back to
     * what HookManager did before records: its late-comer scan, which a definition held past it misses.
     */
    static final int MAX = 4096;

    /**
     * A clock of record events, shared by every ledger of the JVM: each record made or removed takes
     * the next value as its ledger's {@link #lastChange}. A scan reads it before it runs
     * ({@link LoadedClasses}), and is still complete for a ledger only while that ledger's last change
     * is not later. Per ledger, so that another ledger's records (a test's own) never count.
     */
    private static final AtomicLong EPOCH = new AtomicLong();
    /** The {@link #EPOCH} value of this ledger's latest record made or removed (the largest taken). */
    private final AtomicLong lastChange = new AtomicLong();

    /**
     * Loads Definition with this class (made by the registry's first watch, on an operator's thread),
     * not at the first record: that one is made inside a class definition, which must not have to load
     * jlivepatch's classes (ColdTransformerTest's reason, HookLedger.LOADED_EARLY's).
     */
    private static final Definition LOADED_EARLY = new Definition(null, "", LinkTable.EMPTY, 0);

    private final ConcurrentLinkedQueue<Definition> definitions = new ConcurrentLinkedQueue<>();
    private final AtomicInteger count = new AtomicInteger();
    /** Whether a definition was not recorded for {@link #MAX}: said once by the follow-up. */
    private volatile boolean overflowed;

    /** Records a definition of internal name {@code internalName}; {@code null} beyond {@link #MAX}. */
    Definition add(ClassLoader loader, String internalName, LinkTable madeFrom) {
        if (count.incrementAndGet() > MAX) {
            count.decrementAndGet();
            overflowed = true;
            return null;
        }
        Definition d = new Definition(loader, internalName.replace('/', '.'), madeFrom, System.nanoTime());
        definitions.add(d);
        changed(); // after the add: a scan that read the epoch after this finds the record in the queue
        return d;
    }

    /**
     * Records a definition found by {@link HookLedger#watch}: one that passed the transformer before
     * its class was watched, known by its binary name and its loader's identity hash only. Made on the
     * registry's thread, never inside a class definition; its bound runs from now, when it was found.
     * {@code null} beyond {@link #MAX}.
     */
    Definition addUnseen(int loaderHash, String internalName, LinkTable madeFrom) {
        if (count.incrementAndGet() > MAX) {
            count.decrementAndGet();
            overflowed = true;
            return null;
        }
        Definition d = new Definition(loaderHash, internalName.replace('/', '.'), madeFrom, System.nanoTime());
        definitions.add(d);
        changed(); // after the add, as add's
        return d;
    }

    /**
     * Takes the clock's next value as {@link #lastChange}: larger than what any scan read before this
     * call, so such a scan sees a change since it. A loop, not accumulateAndGet with a method
     * reference: each lambda is a class spun at its first use (FootprintIT).
     */
    private void changed() {
        long now = EPOCH.incrementAndGet();
        long last;
        while ((last = lastChange.get()) < now && !lastChange.compareAndSet(last, now)) {
            // another change took a value meanwhile: keep the larger
        }
    }

    /** Removes {@code d}: its class was seen loaded (and hooked from the current table), or it was given up. */
    void remove(Definition d) {
        changed(); // before the removal: a scan's check that no longer finds the record sees the change
        if (definitions.remove(d)) {
            count.decrementAndGet();
        }
    }

    /** The records now. */
    List<Definition> all() {
        return new ArrayList<>(definitions);
    }

    boolean isEmpty() {
        return definitions.isEmpty();
    }

    /** Whether a record was refused for {@link #MAX} since the last call. */
    boolean overflowedSinceAsked() {
        boolean o = overflowed;
        overflowed = false;
        return o;
    }

    /**
     * Whether a definition of a class of {@code names} (binary) is recorded whose hooks, from the table
     * it read, are not those {@code current} wants: that class must be found and retransformed.
     */
    boolean awaits(Set<String> names, LinkTable current) {
        for (Definition d : definitions) {
            if (names.contains(d.name) && !d.madeFrom.hookKeys(d.name).equals(current.hookKeys(d.name))) {
                return true;
            }
        }
        return false;
    }

    /** Whether a definition of a class of {@code names} is recorded at all: a scan may not have it. */
    boolean anyOf(Set<String> names) {
        for (Definition d : definitions) {
            if (names.contains(d.name)) {
                return true;
            }
        }
        return false;
    }

    /** The clock now: read by a scan before it looks at the loaded classes. */
    static long epoch() {
        return EPOCH.get();
    }

    /** Whether a record of this ledger was made or removed after a scan that read {@code epoch}. */
    boolean changedSince(long epoch) {
        return lastChange.get() > epoch;
    }
}
