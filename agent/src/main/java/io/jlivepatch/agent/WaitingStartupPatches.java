package io.jlivepatch.agent;

import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.OwnThread;
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
 * one that never can is named again when the wait ends ({@link #WAIT}), with what it waited for: its
 * class loader, or the transition of the patch enabled before it, which never ended. A retry refused
 * again for the same reason is logged at {@code DEBUG} and not audited (the registry remembers the first).
 */
final class WaitingStartupPatches implements Runnable {

    /** How long after start-up a patch may wait for its loader; an application is up well before. */
    static final long WAIT = TimeUnit.MINUTES.toNanos(10);
    /** {@link #WAIT}, or what a test set ({@link #waitForTests}); read once by each wait as it starts. */
    private static volatile long waitNanos = WAIT;

    /** For tests: the waits started from now on end {@code wait} after their start, not {@link #WAIT}. */
    static void waitForTests(java.time.Duration wait) {
        waitNanos = wait.toNanos();
    }

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
    /** How long this wait lasts ({@link #waitNanos} at its start), for the words of the JARs it gives up. */
    private long waitFor;
    /**
     * Only the waiting thread uses it: the transition the first waiting JAR waited for when the wait ran
     * out, or null when it waited for its class loader. The JARs load in order, each enabled once the one
     * before it ended its transition: the loader had come, and what they never got was that end.
     */
    private Transition unended;

    /** The transition of {@code patch}, loaded from {@code jar}, which had not ended {@code waitedNanos} after its enable. */
    private record Transition(String patch, Path jar, long waitedNanos) {
    }

    @Override
    public void run() {
        waitFor = waitNanos;
        deadline = System.nanoTime() + waitFor;
        try {
            while (!waiting.isEmpty() && System.nanoTime() - deadline < 0) {
                if (!newLoader) {
                    // A loader that is the one but still defines its first class is asked again soon.
                    boolean soon = arriving.waitsForReady();
                    // An application's interrupt (code that interrupts every thread) would make this park
                    // return at once, and the loop spin on a core until the deadline; a loader's unpark stays.
                    OwnThread.clearApplicationInterrupt();
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
                String why = unended != null ? neverEnded(jar) : neverCame(jar);
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

    /** What the wait is counted from: the JVM's start-up, or the attach that gave the JARs. */
    private String when() {
        return Requester.ATTACH.equals(requester) ? "the attach" : "start-up";
    }

    /**
     * Why {@code jar} never loaded when the wait ran out in the transition of the patch enabled before it
     * ({@link #unended}): its class loader had come (the one before it loaded there), not that
     * transition's end; what holds it is in status, and force ends it.
     */
    private String neverEnded(Path jar) {
        Path first = waiting.get(0);
        String transition = "the transition of '" + unended.patch() + "' (enabled just before it, from " + unended.jar()
                + ") to end, and it had not ended " + describe(unended.waitedNanos()) + " later, when the wait ended ("
                + describe(waitFor) + " after " + when() + "); 'jlivepatch status <pid>' names the threads that hold it"
                + " and 'jlivepatch force <pid> " + unended.patch() + "' ends it; once it has ended, load ";
        return jar.equals(first)
                ? "never loaded: it waited for " + transition + "this JAR with 'jlivepatch load <pid> " + jar + "'"
                : "never loaded: it waited behind " + first + ", which waited for " + transition + first + " and then"
                        + " this JAR with 'jlivepatch load <pid> " + jar + "'";
    }

    /**
     * Why {@code jar} never loaded when the wait ran out with the first waiting JAR still waiting for its
     * class loader: that JAR's loader never came. A JAR behind it was never asked about its own classes (the
     * JARs load in order, and only the first one's classes are awaited): it waited behind the first, which
     * its words say, as a JAR behind a transition's are ({@link #neverEnded}); before, each said that no
     * class loader for its own classes had appeared.
     */
    private String neverCame(Path jar) {
        Path first = waiting.get(0);
        String noLoader = "no class loader that can load its classes appeared within " + describe(waitFor) + " of "
                + when() + "; load ";
        return jar.equals(first)
                ? "never loaded: " + noLoader + "it with 'jlivepatch load <pid> " + jar + "' once the application is up"
                : "never loaded: it waited behind " + first + ", for which " + noLoader + first + " and then this JAR"
                        + " with 'jlivepatch load <pid> " + jar + "' once the application is up";
    }

    /** {@code 10 minutes}, {@code 15 seconds}: whole minutes from two on, else seconds. */
    static String describe(long nanos) {
        long s = TimeUnit.NANOSECONDS.toSeconds(nanos);
        return s >= 120 ? (s + 30) / 60 + " minutes" : s + (s == 1 ? " second" : " seconds");
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
            unended = null;
            PatchHandle enabledBefore = null;
            Path enabledFrom = null;
            while (!waiting.isEmpty()) {
                Path jar = waiting.get(0);
                if (enabledBefore != null && !transitionEnded(enabledBefore, enabledFrom)) {
                    return; // the JARs behind it stay waiting, and are named at the end if they never load
                }
                PatchHandle h = null;
                try {
                    h = uninterrupted(() -> lp.load(jar));
                    PatchHandle loaded = h;
                    uninterrupted(() -> {
                        loaded.enable();
                        return loaded;
                    });
                    enabledBefore = h;
                    enabledFrom = jar;
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

    /** A load or an enable. */
    private interface Step<T> {
        T run() throws PatchException;
    }

    /**
     * {@code step} with this thread's interrupt cleared first, and again after a BUSY refusal that an
     * interrupt caused (a JAR's read ends with ClosedByInterruptException: 'not read: the calling thread
     * was interrupted'), up to {@link #INTERRUPTED_TRIES} times and until the deadline: each refusal is on
     * record, and code that interrupts without pause would refuse them all. The interrupt is an
     * application's (code that interrupts every thread; {@link OwnThread#clearApplicationInterrupt}):
     * kept, it refused the JAR, which was then skipped for good ('skipping ...'), though nothing was wrong with it.
     */
    private <T> T uninterrupted(Step<T> step) throws PatchException {
        for (int tries = 1; ; tries++) {
            OwnThread.clearApplicationInterrupt();
            try {
                return step.run();
            } catch (PatchException e) {
                if (e.reason() != PatchException.Reason.BUSY || !Thread.interrupted() || tries >= INTERRUPTED_TRIES
                        || System.nanoTime() - deadline >= 0) {
                    throw e;
                }
            }
        }
    }

    /** How many times a load or an enable an interrupt refused is asked ({@link #uninterrupted}). */
    private static final int INTERRUPTED_TRIES = 5;

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
     * would be refused while it runs, and the JAR skipped. Until the deadline at most; status says
     * meanwhile that the JARs wait for it, and {@link #unended} what it was when it did not end.
     */
    private boolean transitionEnded(PatchHandle h, Path from) {
        long began = System.nanoTime();
        if (awaitTransition(h, began)) {
            return true;
        }
        statusBehindTransition(h.name(), from);
        if (awaitTransition(h, deadline)) {
            return true;
        }
        unended = new Transition(h.name(), from, System.nanoTime() - began);
        return false;
    }

    /**
     * Whether the transition of {@code h} ended by {@code until} (a {@link System#nanoTime} value: the
     * deadline, or one past for a look without waiting). An interrupt of this thread is an application's
     * (code that interrupts every thread; nothing of jlivepatch's interrupts it), so the wait goes on to
     * {@code until} with the interrupt left cleared ({@link OwnThread#clearApplicationInterrupt} says
     * why): set again, as it was, it made every later park of this thread return at once, a loop
     * spinning on a core until the deadline, and the JARs behind said to have waited for their loader.
     */
    private static boolean awaitTransition(PatchHandle h, long until) {
        while (true) {
            try {
                return h.awaitTransition(java.time.Duration.ofNanos(Math.max(0, until - System.nanoTime())));
            } catch (InterruptedException e) {
                // cleared by the exception; waited for again
            }
        }
    }

    /** Says in status that the waiting JARs wait for the transition of {@code patch}: the first for it, the others behind. */
    private void statusBehindTransition(String patch, Path from) {
        Path first = waiting.get(0);
        String transition = "the transition of '" + patch + "' (enabled just before it, from " + from + ") to end";
        StartupPatches.waiting(first, requester, "for " + transition);
        for (int i = 1; i < waiting.size(); i++) {
            StartupPatches.waiting(waiting.get(i), requester, "behind " + first + ", which waits for " + transition);
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
