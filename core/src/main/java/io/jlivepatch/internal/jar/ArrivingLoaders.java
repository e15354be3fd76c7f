package io.jlivepatch.internal.jar;

import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.patch.RecursionGuard;

import java.lang.instrument.Instrumentation;
import java.lang.ref.WeakReference;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * The class loaders that appear while patch JARs wait for the loader of their classes (the kernel's
 * {@code klp_module_coming}, for a loader), and whether one is worth a retry: it can read the class
 * file of an awaited class ({@link AwaitedClasses#visibleTo}) and has finished defining its first
 * class ({@link AwaitedClasses#hasDefinedAClass}). Internal: public only for the agent's start-up
 * patches; the watched directory is the other user.
 *
 * <p>Two threads: the {@link #watcher()} runs in the transformer on the application's threads and only
 * notes a loader not seen before; the asking thread (jlivepatch's own: the loader's getResource runs
 * the loader's code, which must not happen on the defining thread) calls {@link #newLoaderCanRead} or
 * {@link #seenLoaderCanRead}, {@link #waitsForReady} and {@link #forget}, and must be one thread.
 *
 * <p>No loader is kept reachable: the seen loaders are weak keys, the not-ready ones and those not
 * asked yet weak references, so an undeployed webapp's loader can be collected whatever the wait.
 */
public final class ArrivingLoaders {

    private final Instrumentation inst;
    /** Run on the defining thread after a new loader is queued (the caller's wake-up); must be quick. */
    private final Runnable onArrival;
    /**
     * Loaders seen defining a class. Written by the watcher on the application's threads, read by the
     * asking thread in {@link #seenLoaderCanRead}: the synchronized map's lock pairs them.
     */
    private final Map<ClassLoader, Boolean> seenMap = Collections.synchronizedMap(new WeakHashMap<>());
    private final Set<ClassLoader> seen = Collections.newSetFromMap(seenMap);
    /** The loaders seen since the last look. Lock-free: the queue orders the watcher's add before the poll. */
    private final ConcurrentLinkedQueue<WeakReference<ClassLoader>> fresh = new ConcurrentLinkedQueue<>();
    /**
     * Loaders that can read an awaited class but had not defined their first class when asked; asking
     * thread only. Weak references, not a WeakHashMap: a collected loader must stop counting at once
     * ({@link #waitsForReady}), not once the reference handler has queued its entry.
     */
    private final List<WeakReference<ClassLoader>> notReady = new ArrayList<>();
    /**
     * {@code notReady}'s size, kept by hand: the checks the asking thread makes at every wake-up read
     * this field, not a method of a {@code java.util} collection, which a patch could replace and
     * which would run there unmarked (the thread marks itself only when there is work).
     */
    private int notReadyCount;
    /** What the transformer calls: one object, to be taken off again. */
    private final Consumer<ClassLoader> watcher = this::defined;

    /**
     * @param onArrival run on the defining thread once a loader not seen before is noted (to wake the
     *                  asking thread); quick, and must neither throw nor load classes
     */
    public ArrivingLoaders(Instrumentation inst, Runnable onArrival) {
        this.inst = inst;
        this.onArrival = onArrival;
    }

    /** For {@code PatchRegistry.watchLoaders} and {@code unwatchLoaders}: always the same object. */
    public Consumer<ClassLoader> watcher() {
        return watcher;
    }

    /**
     * The watcher: runs in the transformer for every class definition, so it only notes and wakes.
     * Unmarked on the application's thread (a mark at every class definition would keep every hook's
     * guard off its constant for as long as a patch waits): the weak set's {@code java.util} code runs
     * there as it is, replaced if a patch replaces it, a known limit (README: waiting patches).
     */
    private void defined(ClassLoader loader) {
        if (seen.contains(loader)) {
            return; // nearly every definition
        }
        // Seen only once queued and woken for: a definition deep in a recursion may overflow at any
        // step, and a loader marked seen first would never be queued or woken for again, its patch
        // waiting for good. In this order an overflow leaves it unseen, noted again at its next
        // definition (two threads may both note it: asked twice at most, see canRead).
        fresh.add(new WeakReference<>(loader));
        onArrival.run(); // after the add: whoever it wakes polls the queue
        seen.add(loader);
    }

    /**
     * Whether a loader seen since the last look, or not ready at the last look, can read a class of
     * {@code awaited} and has defined a class. For a caller whose awaited classes stay the same for the
     * whole wait: every loader seen earlier was asked about them already.
     *
     * @param waiter for the log: what waits ("watch /patches", a JAR)
     */
    public boolean newLoaderCanRead(AwaitedClasses awaited, String waiter) {
        return canRead(awaited, waiter, false);
    }

    /**
     * {@link #newLoaderCanRead}, asking every loader seen so far as well. For a caller whose awaited
     * classes just changed: a loader seen earlier, asked then about other classes, may be the one.
     */
    public boolean seenLoaderCanRead(AwaitedClasses awaited, String waiter) {
        return canRead(awaited, waiter, true);
    }

    /** Whether a loader that can read an awaited class waits to define its first class: worth asking again soon. */
    public boolean waitsForReady() {
        if (notReadyCount == 0) {
            return false; // the common case, at every wake-up: no JDK collection touched, no mark taken
        }
        int mark = RecursionGuard.enter(); // jlivepatch's code: hooks met here run the originals
        try {
            for (int i = notReady.size() - 1; i >= 0; i--) {
                if (notReady.get(i).get() == null) {
                    notReady.remove(i); // collected: it stops counting at once
                }
            }
            notReadyCount = notReady.size();
            return notReadyCount != 0;
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    /** Drops the loaders not asked yet and those not ready: nothing waits any more. */
    public void forget() {
        fresh.clear(); // java.util.concurrent: never a patch's target
        if (notReadyCount != 0) {
            int mark = RecursionGuard.enter();
            try {
                notReady.clear();
                notReadyCount = 0;
            } finally {
                RecursionGuard.exit(mark);
            }
        }
    }

    private boolean canRead(AwaitedClasses awaited, String waiter, boolean everySeen) {
        if (!everySeen && notReadyCount == 0 && fresh.isEmpty()) {
            return false; // nothing to ask, decided without a JDK collection that a patch could replace
        }
        // jlivepatch's code from here: hooks met (the collections below, a loader's lookup) run the originals.
        int mark = RecursionGuard.enter();
        try {
            return canReadMarked(awaited, waiter, everySeen);
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    private boolean canReadMarked(AwaitedClasses awaited, String waiter, boolean everySeen) {
        List<ClassLoader> ask = new ArrayList<>();
        for (WeakReference<ClassLoader> r : notReady) {
            add(ask, r);
        }
        notReady.clear();
        notReadyCount = 0;
        for (WeakReference<ClassLoader> r; (r = fresh.poll()) != null; ) {
            add(ask, r);
        }
        if (everySeen) {
            synchronized (seenMap) { // the synchronized map's own lock, as its iteration requires
                ask.addAll(seenMap.keySet());
            }
        }
        if (ask.isEmpty()) {
            return false;
        }
        boolean worth = false;
        for (ClassLoader l : ask) {
            if (!awaited.visibleTo(l)) {
                continue;
            }
            if (AwaitedClasses.hasDefinedAClass(inst, l)) {
                worth = true;
            } else {
                markNotReady(l); // asked again at the next look
            }
        }
        if (worth) {
            // As both callers always did: the retry looks at every loader that has defined a class by then.
            notReady.clear();
            notReadyCount = 0;
            return true;
        }
        if (notReady.isEmpty()) {
            Log.get().log(Level.DEBUG, ask.size() + " new class loader(s), none of which can read " + awaited
                    + ": " + waiter + " waits on");
        }
        return false;
    }

    private static void add(List<ClassLoader> to, WeakReference<ClassLoader> r) {
        ClassLoader l = r.get();
        if (l != null) {
            to.add(l);
        }
    }

    /** Once each: a loader may be asked twice in one look (not ready, and seen). */
    private void markNotReady(ClassLoader l) {
        for (WeakReference<ClassLoader> r : notReady) {
            if (r.get() == l) {
                return;
            }
        }
        notReady.add(new WeakReference<>(l));
        notReadyCount = notReady.size();
    }
}
