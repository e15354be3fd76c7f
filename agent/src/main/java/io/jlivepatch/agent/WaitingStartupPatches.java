package io.jlivepatch.agent;

import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.Requester;
import io.jlivepatch.internal.jar.ArrivingLoaders;
import io.jlivepatch.internal.jar.AwaitedClasses;
import io.jlivepatch.internal.jar.PatchJarLoader;
import io.jlivepatch.internal.patch.RecursionGuard;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Start-up patch JARs whose classes no class loader could load at premain: in a Spring Boot fat JAR
 * the application's classes are in {@code BOOT-INF/classes}, which only the LaunchedClassLoader that
 * the launcher creates after premain can load (an application server's webapp loaders likewise).
 * The kernel's {@code klp_module_coming}, for a loader: each JAR is loaded again, in order, as soon
 * as a class loader not seen before defines a class and can read the class file of one of the first
 * waiting JAR's targets ({@link ArrivingLoaders}), until it loads or is refused for another reason.
 * Each waiting patch is named in a {@code WARNING} at start-up, and says in the log when it loads;
 * one that never can is named again when the wait ends ({@link #WAIT}). A retry refused again for the
 * same reason is logged at {@code DEBUG} and not audited (the registry remembers the first).
 */
final class WaitingStartupPatches implements Runnable {

    /** How long after start-up a patch may wait for its loader; an application is up well before. */
    static final long WAIT = TimeUnit.MINUTES.toNanos(10);

    private final Livepatch lp;
    private final PatchRegistry registry;
    /**
     * Who gave the JARs: {@link Requester#STARTUP}, or {@link Requester#ATTACH} for an attach's
     * {@code patches=}. The retries are audited on its account, as the first attempt was.
     */
    private final String requester;
    // The JARs in file-name order; only the waiting thread uses it.
    private final List<Path> waiting;
    /**
     * The loaders that define a class while JARs wait; its watcher wakes this thread. The waiting
     * thread is its asking thread. {@code newLoader} is set after a loader is noted and read by
     * run() after unpark: the volatile write comes first.
     */
    private final ArrivingLoaders arriving;
    private volatile boolean newLoader;
    // Only the waiting thread uses these: what the first waiting JAR waits for, and which JAR that is.
    private AwaitedClasses awaited;
    private Path awaitedFor;
    private Thread thread;

    private WaitingStartupPatches(Livepatch lp, PatchRegistry registry, List<Path> waiting, String requester) {
        this.lp = lp;
        this.registry = registry;
        this.requester = requester;
        this.waiting = new ArrayList<>(waiting);
        this.arriving = new ArrivingLoaders(registry.instrumentation(), () -> {
            newLoader = true;
            LockSupport.unpark(thread);
        });
    }

    /**
     * Starts waiting for the loaders of {@code jars}, each already named in a WARNING.
     *
     * @param requester the channel that gave them, as its first attempt was audited
     */
    static void start(Livepatch lp, List<Path> jars, String requester) {
        PatchRegistry registry = PatchRegistry.installed();
        if (jars.isEmpty() || registry == null) {
            return;
        }
        WaitingStartupPatches w = new WaitingStartupPatches(lp, registry, jars, requester);
        Thread t = new Thread(w, "jlivepatch-startup-wait");
        t.setDaemon(true);
        w.thread = t;
        registry.watchLoaders(w.arriving.watcher()); // from here on, before the thread may park
        t.start();
    }

    /** When waiting ends ({@link #WAIT} after the start); a transition is waited for until then at most. */
    private long deadline;

    @Override
    public void run() {
        deadline = System.nanoTime() + WAIT;
        try {
            while (!waiting.isEmpty() && System.nanoTime() - deadline < 0) {
                if (!newLoader) {
                    // A loader that is the one but still defines its first class is asked again soon.
                    boolean soon = arriving.waitsForReady();
                    LockSupport.parkNanos(this, soon ? TimeUnit.MILLISECONDS.toNanos(10) : TimeUnit.SECONDS.toNanos(1));
                    if (!newLoader && !arriving.waitsForReady()) {
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
                String why = "never loaded: no class loader that can load its classes appeared within "
                        + TimeUnit.NANOSECONDS.toMinutes(WAIT) + " minutes of "
                        + (Requester.ATTACH.equals(requester) ? "the attach" : "start-up") + "; load it"
                        + " with 'jlivepatch load <pid> " + jar + "' once the application is up";
                Log.get().log(Level.WARNING, jar + " was " + why);
                StartupPatches.skipped(jar, requester, why);
                // On record too, on the account of the channel that asked for it, as its attempts were.
                String before = Requester.enter(requester);
                try {
                    registry.audit("load", jar.toString(), "refused: " + why);
                } catch (RuntimeException | LinkageError ignored) {
                    // logged above; only its record is missing
                } finally {
                    Requester.restore(before);
                }
            }
        } finally {
            registry.unwatchLoaders(arriving.watcher());
        }
    }

    /**
     * Whether a loader seen since the last look can read a class the first waiting JAR waits for.
     * Only the first JAR's classes are awaited (the JARs load in order), so when the first waiting JAR
     * is another one than at the last look, every loader seen so far is asked again
     * ({@link ArrivingLoaders#seenLoaderCanRead}): the new first one may wait for a loader that
     * appeared earlier and was asked then only about the previous first JAR's classes.
     */
    private boolean worthRetrying() {
        Path first = waiting.get(0);
        if (first.equals(awaitedFor)) {
            return arriving.newLoaderCanRead(awaited, first.toString());
        }
        awaited = AwaitedClasses.of(List.of(first));
        awaitedFor = first;
        return arriving.seenLoaderCanRead(awaited, first.toString());
    }

    /** Loads the waiting JARs in order; stops at the first that still waits, so the stack keeps their order. */
    private void retry() {
        int mark = RecursionGuard.enter();
        String before = Requester.enter(requester);
        try {
            PatchHandle enabledBefore = null;
            while (!waiting.isEmpty()) {
                Path jar = waiting.get(0);
                if (enabledBefore != null && !transitionEnded(enabledBefore)) {
                    return; // the JARs behind it stay waiting, and are named at the end if they never load
                }
                PatchHandle h = null;
                try {
                    h = lp.load(jar);
                    h.enable();
                    enabledBefore = h;
                    Log.get().log(Level.INFO, "'" + h.name() + "': loaded from " + jar + " once a class loader could"
                            + " load its classes");
                    StartupPatches.loaded(jar);
                } catch (PatchException e) {
                    if (h != null) {
                        unregister(h);
                    } else if (PatchJarLoader.waitsForItsLoader(e)) {
                        statusOfWaiting(); // the first may have been behind one that has loaded since
                        return; // not this loader: the next one may be
                    }
                    Log.get().log(Level.ERROR, "skipping " + jar + ": " + e.getMessage());
                    StartupPatches.skipped(jar, requester, e.reason() + ": " + e.getMessage());
                } catch (RuntimeException | LinkageError e) {
                    Log.get().log(Level.ERROR, "skipping " + jar + ": " + e, e);
                    StartupPatches.skipped(jar, requester, e.toString());
                }
                waiting.remove(0);
            }
        } finally {
            Requester.restore(before);
            RecursionGuard.exit(mark);
        }
    }

    /** Says again in status what each waiting JAR waits for: the first for its loader, the others behind it. */
    private void statusOfWaiting() {
        Path first = waiting.get(0);
        StartupPatches.waiting(first, requester, StartupPatches.WAITS_FOR_LOADER);
        for (int i = 1; i < waiting.size(); i++) {
            StartupPatches.waiting(waiting.get(i), requester, StartupPatches.behind(first));
        }
    }

    /**
     * Waits for the transition of the patch enabled just before (the application runs, so it may take
     * a while, and on a loaded machine its worker may not have ended it yet): the next one's enable
     * would be refused while it runs, and the JAR skipped. Until the deadline at most.
     */
    private boolean transitionEnded(PatchHandle h) {
        try {
            return h.awaitTransition(java.time.Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
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
