package io.jlivepatch.agent;

import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.Requester;
import io.jlivepatch.internal.jar.AwaitedClasses;
import io.jlivepatch.internal.jar.PatchJarLoader;
import io.jlivepatch.internal.patch.RecursionGuard;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Start-up patch JARs whose classes no class loader could load at premain: in a Spring Boot fat JAR
 * the application's classes are in {@code BOOT-INF/classes}, which only the LaunchedClassLoader that
 * the launcher creates after premain can load (an application server's webapp loaders likewise).
 * The kernel's {@code klp_module_coming}, for a loader: each JAR is loaded again, in order, as soon
 * as a class loader not seen before defines a class and can read the class file of one of the first
 * waiting JAR's targets ({@link AwaitedClasses}), until it loads or is refused for another reason.
 * Each waiting patch is named in a {@code WARNING} at start-up, and says in the log when it loads;
 * one that never can is named again when the wait ends ({@link #WAIT}). A retry refused again for the
 * same reason is logged at {@code DEBUG} and not audited (the registry remembers the first).
 */
final class WaitingStartupPatches implements Runnable {

    /** How long after start-up a patch may wait for its loader; an application is up well before. */
    static final long WAIT = TimeUnit.MINUTES.toNanos(10);

    private final Livepatch lp;
    private final PatchRegistry registry;
    // The JARs in file-name order; only the waiting thread uses it.
    private final List<Path> waiting;
    /**
     * Loaders seen defining a class; weak, so an undeployed webapp's loader can go. Written by the
     * transformer on the application's threads (the watcher), read by the waiting thread: the map's
     * lock pairs them.
     */
    private final java.util.Map<ClassLoader, Boolean> seenMap = Collections.synchronizedMap(new WeakHashMap<>());
    private final Set<ClassLoader> seen = Collections.newSetFromMap(seenMap);
    /**
     * The loaders seen since the waiting thread last looked, for it to ask whether they can read an
     * awaited class: asked there, not on the defining thread (getResource runs the loader's code).
     * Lock-free: the queue orders the watcher's add before the thread's poll.
     */
    private final java.util.concurrent.ConcurrentLinkedQueue<ClassLoader> fresh = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private volatile boolean newLoader;
    // Only the waiting thread uses these: what the first waiting JAR waits for, and which JAR that is.
    private AwaitedClasses awaited;
    private Path awaitedFor;
    /** Loaders that can read an awaited class but had not finished defining their first class when asked. */
    private final List<ClassLoader> notReady = new ArrayList<>();
    private Thread thread;
    /** What the transformer calls: one object, to be taken off again. */
    private final java.util.function.Consumer<ClassLoader> watcher = this::defined;

    private WaitingStartupPatches(Livepatch lp, PatchRegistry registry, List<Path> waiting) {
        this.lp = lp;
        this.registry = registry;
        this.waiting = new ArrayList<>(waiting);
    }

    /** Starts waiting for the loaders of {@code jars}, each already named in a WARNING. */
    static void start(Livepatch lp, List<Path> jars) {
        PatchRegistry registry = PatchRegistry.installed();
        if (jars.isEmpty() || registry == null) {
            return;
        }
        WaitingStartupPatches w = new WaitingStartupPatches(lp, registry, jars);
        Thread t = new Thread(w, "jlivepatch-startup-wait");
        t.setDaemon(true);
        w.thread = t;
        registry.watchLoaders(w.watcher); // from here on, before the thread may park
        t.start();
    }

    /** The watcher: runs in the transformer for every class definition, so it only notes and wakes. */
    private void defined(ClassLoader loader) {
        if (seen.add(loader)) {
            fresh.add(loader);
            newLoader = true; // read by run() after unpark: the volatile write comes first
            LockSupport.unpark(thread);
        }
    }

    @Override
    public void run() {
        long deadline = System.nanoTime() + WAIT;
        try {
            while (!waiting.isEmpty() && System.nanoTime() - deadline < 0) {
                if (!newLoader) {
                    // A loader that is the one but still defines its first class is asked again soon.
                    LockSupport.parkNanos(this, notReady.isEmpty() ? TimeUnit.SECONDS.toNanos(1)
                            : TimeUnit.MILLISECONDS.toNanos(10));
                    if (!newLoader && notReady.isEmpty()) {
                        continue;
                    }
                }
                newLoader = false;
                int mark = RecursionGuard.enter(); // jlivepatch's code: hooks a loader's lookup meets run the originals
                boolean worth;
                try {
                    worth = worthRetrying();
                } finally {
                    RecursionGuard.exit(mark);
                }
                if (worth) {
                    retry();
                }
            }
            for (Path jar : waiting) {
                Log.get().log(Level.WARNING, jar + " was never loaded: no class loader that can load its classes"
                        + " appeared within " + TimeUnit.NANOSECONDS.toMinutes(WAIT) + " minutes of start-up; load it"
                        + " with 'jlivepatch load <pid> " + jar + "' once the application is up");
            }
        } finally {
            registry.unwatchLoaders(watcher);
        }
    }

    /**
     * Whether a loader seen since the last look can read a class the first waiting JAR waits for.
     * When the first waiting JAR is another one than at the last look, every loader seen so far is
     * asked again, since the new first one may wait for a loader that appeared earlier.
     */
    private boolean worthRetrying() {
        List<ClassLoader> ask = new ArrayList<>(notReady);
        notReady.clear();
        for (ClassLoader l; (l = fresh.poll()) != null; ) {
            ask.add(l);
        }
        Path first = waiting.get(0);
        if (!first.equals(awaitedFor)) {
            awaited = AwaitedClasses.of(List.of(first));
            awaitedFor = first;
            synchronized (seenMap) { // the synchronized map's own lock, as its iteration requires
                ask.addAll(seenMap.keySet());
            }
        }
        boolean worth = false;
        for (ClassLoader l : ask) {
            if (!awaited.visibleTo(l)) {
                continue;
            }
            if (AwaitedClasses.hasDefinedAClass(registry.instrumentation(), l)) {
                worth = true;
            } else if (!notReady.contains(l)) {
                notReady.add(l);
            }
        }
        if (worth) {
            notReady.clear();
            return true;
        }
        if (!notReady.isEmpty()) {
            return false;
        }
        Log.get().log(Level.DEBUG, ask.size() + " new class loader(s), none of which can read " + awaited
                + ": " + first + " waits on");
        return false;
    }

    /** Loads the waiting JARs in order; stops at the first that still waits, so the stack keeps their order. */
    private void retry() {
        int mark = RecursionGuard.enter();
        String before = Requester.enter(Requester.STARTUP);
        try {
            while (!waiting.isEmpty()) {
                Path jar = waiting.get(0);
                PatchHandle h = null;
                try {
                    h = lp.load(jar);
                    h.enable();
                    Log.get().log(Level.INFO, "'" + h.name() + "': loaded from " + jar + " once a class loader could"
                            + " load its classes");
                } catch (PatchException e) {
                    if (h != null) {
                        unregister(h);
                    } else if (PatchJarLoader.waitsForItsLoader(e)) {
                        return; // not this loader: the next one may be
                    }
                    Log.get().log(Level.ERROR, "skipping " + jar + ": " + e.getMessage());
                } catch (RuntimeException | LinkageError e) {
                    Log.get().log(Level.ERROR, "skipping " + jar + ": " + e, e);
                }
                waiting.remove(0);
            }
        } finally {
            Requester.restore(before);
            RecursionGuard.exit(mark);
        }
    }

    private static void unregister(PatchHandle h) {
        try {
            h.unregister();
        } catch (PatchException ignored) {
            // still registered, disabled: visible in status
        }
    }
}
