package io.jlivepatch.internal.watch;

import io.jlivepatch.internal.ClosedAtExit;
import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.OwnBuild;
import io.jlivepatch.internal.OwnThread;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.Requester;
import io.jlivepatch.internal.jar.ArrivingLoaders;
import io.jlivepatch.internal.jar.AwaitedClasses;
import io.jlivepatch.internal.patch.RecursionGuard;
import io.jlivepatch.internal.watch.Reconciler.Failure;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A watched patch directory as the desired state of this JVM's patch stack
 * ({@code patches=<dir>,watch=true}): reconciled at once when started, then on every change of the
 * directory (file events, gathered until the directory has been quiet for a moment) and every
 * interval in case an event was missed. One per JVM, on a daemon thread of its own
 * ({@code jlivepatch-watch}) that no failure ends.
 *
 * <p>Retries: a directory that is waiting (does not exist yet, a file still being written) is looked
 * at again after {@link #WAITING_RETRY}; a failed reconcile on the next change, or after the
 * interval, doubled for each identical failure in a row up to {@link #MAX_BACKOFF} intervals, so a
 * broken file costs a log line and an audit entry now and then, never a loop.
 */
public final class PatchDirectoryWatch {

    static final Duration WAITING_RETRY = Duration.ofSeconds(1);
    static final int MAX_BACKOFF = 8;
    /** File events closer than this are one change (a tool copying several files, the kubelet's swap). */
    static final long QUIET_MILLIS = 500;
    /** A directory that never stops changing is reconciled after this all the same. */
    static final long MAX_GATHER_MILLIS = 5000;
    /** How soon a wait notices a request to reconcile now, a stop, or the directory replaced. */
    static final long WAKE_SLICE_MILLIS = 200;
    /** How long after a refused registration of the directory's file events it is tried again. */
    static final long EVENTS_RETRY_MILLIS = 30_000;

    // Written under PatchDirectoryWatch.class (start and stop, rare, one watch per JVM); read freely.
    private static volatile PatchDirectoryWatch running;

    private final PatchRegistry registry;
    private final WatchOptions options;
    private final WatchedDirectory directory;
    private final Reconciler reconciler;
    /** Whether the log said that jlivepatch's JAR is overwritten, since it last was not; under {@code reconciling}. */
    private boolean overwrittenSaid;
    private final String label;

    /** Replaced whole after each step; read by the MBean's threads. */
    private volatile ReconcileStatus status;
    /** Set by stop(); the watch thread ends at its next wait, never in the middle of a reconcile. */
    private volatile boolean stopped;
    /** Set to have the thread reconcile now rather than at its next event or delay; it clears it. */
    private volatile boolean wakeUp;
    // Written under PatchDirectoryWatch.class.
    private Thread thread;
    /** Tests: run by a retiring watch thread just before it starts the one that takes over. */
    static volatile Runnable beforeHandOverStartForTests;

    /**
     * Held for a whole reconcile: the first one (the starter's) and the watch thread's take turns,
     * so one plan is applied at a time. It also guards the fields below.
     */
    private final Object reconciling = new Object();
    private String lastFailure;
    private int failuresInARow;
    /**
     * The last reconcile failed because its thread was interrupted (an application's interrupt of every
     * thread: stop() never interrupts): nothing in the directory was wrong, so the next try is a
     * second away, not the failure's back-off (an interval and more, with no file event to come).
     */
    private boolean interruptedRetry;
    private final Set<String> skippedLogged = new HashSet<>();
    /**
     * Set while a patch waits for the class loader of its classes: the next try is when a loader not
     * seen before defines a class and can read the class file of a target ({@link #newLoaderToRetry}),
     * or after the interval, not every second. Written under {@code reconciling}; read by the watch
     * thread's wait.
     */
    private volatile boolean waitingForLoader;
    /**
     * The loaders that define a class while a patch waits (the transformer calls its watcher, which only
     * notes them): the watch thread asks them in its waits, within {@link #WAKE_SLICE_MILLIS}, so no
     * wake-up is needed. The watch thread is its asking thread.
     */
    final ArrivingLoaders arriving;
    /** What the waiting JARs wait for; written under {@code reconciling}, read by the watch thread. */
    private volatile AwaitedClasses awaited;

    PatchDirectoryWatch(PatchRegistry registry, WatchOptions options) {
        this(registry, options, new WatchedDirectory(options.directory()));
    }

    /** Reading {@code directory} as a test makes it (its own clock, no change times). */
    PatchDirectoryWatch(PatchRegistry registry, WatchOptions options, WatchedDirectory directory) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.options = options;
        this.directory = directory;
        this.label = "watch " + options.directory();
        this.reconciler = new Reconciler(registry, options.timeout(), label);
        this.status = new ReconcileStatus(options.directory().toString(), "", "applying", 0);
        this.arriving = new ArrivingLoaders(registry.instrumentation(), () -> { });
    }

    /**
     * Starts watching {@code options.directory()}: the first reconcile runs in the calling thread (at
     * start-up, before {@code main}: classes are patched as they load), then the watch thread.
     *
     * @throws IllegalArgumentException when this JVM already watches another directory
     */
    public static PatchDirectoryWatch start(PatchRegistry registry, WatchOptions options) {
        return start(registry, options, true);
    }

    /**
     * {@link #start(PatchRegistry, WatchOptions)} asked for by {@code requester} (the start-up's, an attach's
     * arguments), on record as such before the first reconcile's loads, which are the watch's: {@code watch
     * <dir> by startup: ok (interval 30 s, timeout 30 s)}, as LivepatchControl.watch records the command's
     * and JMX's. A lambda here, not in the agent's class: only a watch's start spins it.
     */
    public static PatchDirectoryWatch startFor(PatchRegistry registry, WatchOptions options, String requester) {
        return start(registry, options, true, () -> {
            String before = Requester.enter(requester);
            try {
                registry.audit("watch", options.directory().toString(), "ok (interval "
                        + options.interval().toSeconds() + " s, timeout " + options.timeout().toSeconds() + " s)");
            } finally {
                Requester.restore(before);
            }
        });
    }

    /**
     * {@link #start(PatchRegistry, WatchOptions)}; with {@code firstHere} false, the first reconcile
     * runs in the watch thread too, and the caller follows it through {@link #status()} (a command,
     * whose call must not wait for transitions). A watch already running with the same options
     * reconciles now, on its own thread.
     */
    public static PatchDirectoryWatch start(PatchRegistry registry, WatchOptions options, boolean firstHere) {
        return start(registry, options, firstHere, () -> { });
    }

    /**
     * {@link #start(PatchRegistry, WatchOptions, boolean)}, running {@code accepted} once the watch is
     * taken (started, or already running with the same options) and before its first reconcile can
     * record anything: the caller's record of the watch comes before the loads it makes.
     */
    public static PatchDirectoryWatch start(PatchRegistry registry, WatchOptions options, boolean firstHere,
                                            Runnable accepted) {
        PatchDirectoryWatch w;
        boolean made = false;
        synchronized (PatchDirectoryWatch.class) {
            w = running;
            if (w != null) {
                if (!w.options.equals(options)) {
                    throw new IllegalArgumentException("this JVM already watches " + w.options.describe() + "; it"
                            + " watches one directory, and its options are set when it starts: restart the JVM to"
                            + " watch " + options.describe());
                }
            } else {
                w = new PatchDirectoryWatch(registry, options);
                // Taken before the watch is running (a new object: nobody waits for it): its start's record
                // comes before that of any start that finds it running.
                w.recordOrder.lock();
                made = true;
                running = w; // the MBean shows it 'applying' from now on
            }
        }
        // The records outside the class lock: a record waits for the audit file's write (a full or slow disk,
        // up to its bound), and under that lock every other start or stop of a watch waited with it.
        w.recordOrder.lock(); // the starts' records in the order they took it (the maker's: taken above; reentrant)
        try {
            Log.get().log(Level.INFO, w.label + (made ? ": watching (" + options.describe() + ")"
                    : ": already watched; reconciling now"));
            runQuietly(accepted);
        } finally {
            w.recordOrder.unlock();
            if (made) {
                w.recordOrder.unlock(); // the hold taken under the class lock
            }
        }
        if (!made) {
            w.wakeUp = true; // after the record: the reconcile it asks for is on record after it; read within WAKE_SLICE_MILLIS
            return w;
        }
        if (firstHere) {
            w.reconcile();
        } else {
            w.wakeUp = true; // the thread's first round: Thread.start orders this write before it
        }
        w.startThread();
        return w;
    }

    /**
     * Held by a start of this watch while it logs and records it ({@link #start(PatchRegistry, WatchOptions, boolean,
     * Runnable)}), and by the start that made the watch from before it is running: the records of two starts come
     * in the order the starts found the watch, the one that made it first; a {@link #stop} waits for them before
     * it stops the watch. Nothing else is taken under it but
     * what a record takes (never the class lock, which it is taken under once, by the maker, when no one else
     * can have it).
     */
    private final java.util.concurrent.locks.ReentrantLock recordOrder = new java.util.concurrent.locks.ReentrantLock();

    /** The watch is taken whatever {@code r} throws: its thread must start (only a record would be missing). */
    private static void runQuietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // the caller's record of the watch is missing; the watch runs and logs what it does
        }
    }

    /** This JVM's watch, or {@code null}. */
    static PatchDirectoryWatch running() {
        return running;
    }

    /**
     * What the watch's last reconcile found, unless the stack it converged on was changed since by
     * someone else (a hand load, disable or unload): then {@code drifted: ...}, never
     * {@code converged}, until the next reconcile has put the directory's stack back. That one comes
     * as every reconcile does (the directory's next change, the interval): not at once, which would
     * race the operator's own command between its steps (an unload's disable and unregister).
     */
    ReconcileStatus status() {
        ReconcileStatus s = status;
        if (drifted()) {
            return new ReconcileStatus(s.directory(), s.desired(), drift(), s.lastReconcile());
        }
        return s;
    }

    /**
     * The desired stack the last reconcile converged on, or {@code null} when the state is not
     * converged: written by the watch thread with {@link #status}, read by any reader of status and
     * by the watch thread's waits.
     */
    private volatile List<DirectorySnapshot.DesiredJar> convergedOn;

    /** Whether the stack is no longer what the watch converged on (changed outside it). */
    private boolean drifted() {
        List<DirectorySnapshot.DesiredJar> on = convergedOn;
        return on != null && !reconciler.converged(on);
    }

    private String drift() {
        return "drifted: the stack is " + stackNames() + ", changed outside the watch; the next reconcile (the"
                + " directory's next change, or the interval) puts the directory's stack back";
    }

    /**
     * Stops the watch thread once its reconcile, if one runs, has ended, and forgets this watch; the
     * patches stay as they are.
     */
    void stop() throws InterruptedException {
        // After the records of this watch's starts under way (recordOrder, outside the class lock): its caller's
        // record of the stop comes after the record of the start it undoes, as when starts recorded under the
        // class lock this takes below. Not under it: the start that makes the watch takes recordOrder under it.
        recordOrder.lock();
        recordOrder.unlock();
        stopped = true; // read by the thread's waits, within WAKE_SLICE_MILLIS
        Thread t;
        synchronized (PatchDirectoryWatch.class) {
            t = thread;
            if (running == this) {
                running = null;
            }
        }
        while (t != null) {
            t.join();
            synchronized (PatchDirectoryWatch.class) {
                // A thread that retired hands over before it ends (handOver, under this lock), or
                // sees stopped and hands over nothing: so the last one read here is the last one.
                t = thread == t ? null : thread;
            }
        }
    }

    /** The watch thread, or {@code null} before {@link #startThread} (tests). */
    Thread thread() {
        synchronized (PatchDirectoryWatch.class) {
            return thread;
        }
    }

    void startThread() {
        // lives until stopped (often the JVM's life), or until patch code ran on it (handOver)
        Thread t = new OwnThread(() -> watch(null, System.nanoTime()), "jlivepatch-watch");
        synchronized (PatchDirectoryWatch.class) {
            thread = t;
        }
        t.start();
    }

    /**
     * The watch thread: wait for a change or the next retry, reconcile, again, until stopped, or
     * until a reconcile ran a patch's code on it: then a new thread takes over its events.
     *
     * @param handedOver      the directory's events, handed over by the thread before ({@code null}: the first)
     * @param lastFullReading when every file was last read again (System.nanoTime); only the watch thread uses it
     */
    private void watch(Events handedOver, long lastFullReading) {
        Events events = handedOver != null ? handedOver
                : new Events(options.directory(), Events.Registrar.FILE_SYSTEM, EVENTS_RETRY_MILLIS);
        boolean handed = false;
        try {
            while (!stopped) {
                try {
                    boolean periodic = !retryingWaiting();
                    boolean elapsed = events.await(nextDelayMillis(), () -> wakeUp || stopped || newLoaderToRetry());
                    wakeUp = false;
                    if (!stopped) {
                        // The interval's reading is there for what the events and the remembered
                        // digests miss: it reads every file again, at least once an interval, also
                        // when events (of files the watch ignores, say) end every wait early.
                        long now = System.nanoTime();
                        boolean everyFile = periodic
                                && (elapsed || now - lastFullReading >= options.interval().toNanos());
                        if (everyFile) {
                            lastFullReading = now;
                        }
                        reconcile(everyFile);
                        if (Thread.currentThread() instanceof OwnThread t && t.ranPatchCode()
                                && handOver(events, lastFullReading)) {
                            handed = true;
                            return;
                        }
                    }
                } catch (InterruptedException e) {
                    // stop() does not interrupt (it sets stopped, read by the waits): an interrupt is
                    // someone else's, an application's that interrupts every thread, say, and ending
                    // here left the directory unwatched for good while status still named it watched.
                    foreignInterrupt();
                } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                    // The watch outlives whatever went wrong in one round: say so and carry on.
                    try {
                        Log.get().log(Level.ERROR, label + ": watching failed (" + e + "); retrying", e);
                        // A pause, not a wait for the directory's events: what failed may be that wait
                        // itself, and events that keep coming would end it at once, an ERROR each time.
                        pause(options.interval().toMillis());
                    } catch (InterruptedException foreign) {
                        foreignInterrupt(); // as above
                    } catch (Throwable ignored) {
                        // no memory even to log: the next round tries again
                    }
                }
            }
        } finally {
            if (!handed) {
                events.close();
            }
        }
    }

    /**
     * Sleeps {@code millis}, or until the watch is stopped (read every {@link #WAKE_SLICE_MILLIS}), with
     * nothing but {@code Thread.sleep}, a method no patch can replace.
     */
    private void pause(long millis) throws InterruptedException {
        long until = System.currentTimeMillis() + millis;
        for (long left = millis; left > 0 && !stopped; left = until - System.currentTimeMillis()) {
            Thread.sleep(Math.min(left, WAKE_SLICE_MILLIS));
        }
    }

    /**
     * A callback of a patch the watch loaded or unloaded ran on this thread, and may have left on it
     * what jlivepatch cannot take off (its context class loader and interrupt are put back by
     * PatchCallbacks): a thread-local whose value holds the patch's class keeps the patch's class
     * loader, and with it its classes, reachable after the patch is unloaded, for as long as the
     * thread lives, here the JVM's life. So the thread retires, as the transition worker does: a new
     * one, which inherits nothing (OwnThread), takes over the events and the watch goes on there.
     * Nothing is lost between them: the events queue in the watch service meanwhile.
     *
     * @return whether the new thread took over; {@code false} (stopped, or no thread could start):
     * this one goes on
     */
    private boolean handOver(Events events, long lastFullReading) {
        Thread next = new OwnThread(() -> watch(events, lastFullReading), "jlivepatch-watch");
        try {
            synchronized (PatchDirectoryWatch.class) {
                if (stopped) {
                    return false; // stop() joins this thread: it closes the events as it ends
                }
                Runnable hook = beforeHandOverStartForTests;
                if (hook != null) {
                    hook.run();
                }
                // Started before it is named, under the lock: stop() joins the threads it reads here until
                // the last, and a join of a thread not started yet returns at once (it would return while
                // this thread still ran and the next was about to start and close the events after it).
                next.start();
                thread = next; // pairs with stop()
            }
            return true;
        } catch (RuntimeException | VirtualMachineError e) { // no native thread left, say: thread is still this one
            try {
                Log.get().log(Level.WARNING, label + ": the watch thread, on which a patch's callback ran, could"
                        + " not be replaced (" + e + "): it goes on, and whatever the callback left on it stays");
            } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
                // watching goes on all the same
            }
            return false;
        }
    }

    /** Interrupts of the watch thread not by {@link #stop} (only the watch thread counts them). */
    private long foreignInterrupts;

    /** The watch thread was interrupted by someone else: it carries on; said once, then counted. */
    private void foreignInterrupt() {
        if (stopped) {
            return;
        }
        foreignInterrupts++;
        try {
            Log.get().log(foreignInterrupts == 1 ? Level.WARNING : Level.DEBUG, label + ": the watch thread was"
                    + " interrupted (" + foreignInterrupts + (foreignInterrupts == 1 ? " time" : " times")
                    + "), not by jlivepatch: it keeps watching (a watch lasts as long as the JVM)");
        } catch (RuntimeException | LinkageError | VirtualMachineError ignored) {
            // no memory even to log: watching goes on all the same
        }
    }

    /**
     * Whether a class loader seen since the last look can read a class a waiting JAR waits for (on
     * the watch thread, in its waits): only then is a reconcile worth it. Other new loaders (a Spring
     * Boot start makes dozens) leave the directory waiting, with no refusal made. Loaders seen earlier
     * are not asked again ({@link ArrivingLoaders#newLoaderCanRead}): what the directory waits for is
     * every desired JAR's classes, fixed for the whole wait, and the reconcile that began the wait
     * looked at every loader there was.
     */
    boolean newLoaderToRetry() {
        AwaitedClasses a = awaited;
        if (!waitingForLoader || a == null) {
            arriving.forget(); // noted before the wait ended: dropped here, on the asking thread
            return false;
        }
        return arriving.newLoaderCanRead(a, label);
    }

    /** Whether the next wait is a waiting directory's short one (a file still being written), not the interval. */
    private boolean retryingWaiting() {
        return !waitingForLoader && status.state().startsWith("waiting");
    }

    private long nextDelayMillis() {
        if (retryingWaiting()) {
            return WAITING_RETRY.toMillis();
        }
        if (status.state().startsWith("failed")) {
            synchronized (reconciling) {
                return interruptedRetry ? WAITING_RETRY.toMillis() : backoffMillis();
            }
        }
        return options.interval().toMillis();
    }

    /** The interval, doubled for each identical failure in a row after the first, up to {@link #MAX_BACKOFF} times. */
    private long backoffMillis() {
        int doublings = Math.min(Math.max(failuresInARow, 1) - 1, Integer.numberOfTrailingZeros(MAX_BACKOFF));
        return options.interval().toMillis() << doublings;
    }

    /** Reads the directory and brings the stack to it; the outcome is in {@link #status()}. */
    void reconcile() {
        reconcile(false);
    }

    /**
     * {@link #reconcile()}; with {@code everyFile}, every JAR is read again, none is taken as
     * unchanged from its state (the interval's reconcile: {@link WatchedDirectory#read(boolean)}).
     */
    void reconcile(boolean everyFile) {
        // jlivepatch's own work: hooks met while reading run the original code (RecursionGuard), and
        // every operation is audited as the watch's, whoever started it.
        int mark = RecursionGuard.enter();
        String before = Requester.switchTo(Requester.WATCH);
        try {
            synchronized (reconciling) {
                try {
                    reconcile0(everyFile);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    // On record, as every failed reconcile: the stack may be partly brought to the directory.
                    fail(status.desired(), new Failure("interrupted", "interrupted while reconciling"));
                } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                    Log.get().log(Level.ERROR, label + ": reconcile failed unexpectedly", e);
                    fail(status.desired(), new Failure("unexpected " + e, "jlivepatch failed unexpectedly (" + e
                            + "); retried on the next change or interval"));
                }
            }
        } finally {
            Requester.switchBack(before);
            RecursionGuard.exit(mark);
        }
    }

    private void reconcile0(boolean everyFile) throws InterruptedException {
        // Reading a new JAR and applying it runs code of jlivepatch's that may not have run yet, read
        // from its JAR at first use: none while that JAR is overwritten (OwnBuild.overwritten), or a
        // class would fail to load, for good, maybe halfway through a change. Only what every round
        // has run already (the log, the status) says so; the next round looks again.
        String overwritten = OwnBuild.overwritten();
        if (overwritten != null) {
            if (!overwrittenSaid) {
                overwrittenSaid = true;
                Log.get().log(Level.ERROR, label + ": nothing applied: " + overwritten + "; looked at again every"
                        + " interval");
            }
            finish(status.desired(), "failed: nothing applied: " + overwritten);
            return;
        }
        overwrittenSaid = false;
        if (drifted()) {
            Log.get().log(Level.WARNING, label + ": " + drift());
        }
        convergedOn = null; // not converged while this reconcile runs, whatever it finds
        DirectorySnapshot s = directory.read(everyFile);
        // what the directory asks for now, though it cannot be applied; what it last asked for when it
        // says nothing (gone, unreadable)
        String asked = s.asked() != null ? s.asked() : status.desired();
        switch (s.kind()) {
            case WAITING:
                if (!status.state().equals("waiting: " + s.why())) {
                    Log.get().log(Level.INFO, label + ": waiting: " + s.why());
                }
                finish(asked, "waiting: " + s.why());
                return;
            case FAILED:
                fail(asked, new Failure(s.why(), s.why()));
                return;
            default:
                break;
        }
        String desired = s.desiredNames();
        for (String skipped : s.skipped()) {
            if (skippedLogged.add(skipped)) {
                Log.get().log(Level.WARNING, label + ": ignoring " + skipped);
            }
        }
        skippedLogged.retainAll(s.skipped());
        String ignoring = s.skipped().isEmpty() ? "" : "; ignoring " + String.join(", ", s.skipped());
        String named = desired.isEmpty() ? "no patch" : desired;
        if (reconciler.converged(s.desired())) {
            if (!status.state().startsWith("converged")) {
                Log.get().log(Level.INFO, label + ": converged: " + named);
            }
            succeed(desired, ignoring, s.desired());
            return;
        }
        // A retry of the same JARs while they wait for a class loader says what it does at DEBUG: the WARNING
        // that they wait was said once, and an outcome that differs (converged, another refusal) at INFO as ever.
        Level progress = waitingForLoader && desired.equals(status.desired()) ? Level.DEBUG : Level.INFO;
        status = new ReconcileStatus(status.directory(), desired, "applying", status.lastReconcile());
        Log.get().log(progress, label + ": applying: " + named + " (stack: " + stackNames() + ")");
        Failure failed = reconciler.apply(s.desired(), progress);
        if (failed != null && failed.waitsForLoader()) {
            if (!waitingForLoader) {
                List<Path> jars = new ArrayList<>();
                for (DirectorySnapshot.DesiredJar j : s.desired()) {
                    jars.add(j.path());
                }
                awaited = AwaitedClasses.of(jars); // before the watcher: a loader it reports is asked about these
                waitingForLoader = true;
                registry.watchLoaders(arriving.watcher());
                Log.get().log(Level.WARNING, label + ": " + failed.message());
                // On record once, as a failed reconcile is: the JARs before the waiting one may have been
                // loaded by it, and every reconcile that changed something has its line (README).
                registry.audit("reconcile", options.directory().toString(), "waiting: " + failed.message());
            }
            finish(desired, "waiting: " + failed.message());
            return;
        }
        stopWaitingForLoader();
        if (failed == null && !reconciler.converged(s.desired())) {
            // Another command changed the stack while this one ran (disabled a patch during its
            // transition, unloaded one kept): the directory's stack is not what runs.
            String now = stackNames();
            failed = new Failure("changed under the reconcile " + now, "the stack changed while the reconcile ran"
                    + " (another command loaded, disabled or unloaded a patch): it is " + now + ", the directory asks"
                    + " for " + named);
        }
        if (failed != null) {
            fail(desired, failed);
            return;
        }
        Log.get().log(Level.INFO, label + ": converged: " + named);
        registry.audit("reconcile", options.directory().toString(), "ok (converged: " + named + ")");
        succeed(desired, ignoring, s.desired());
    }

    private void stopWaitingForLoader() {
        if (waitingForLoader) {
            waitingForLoader = false;
            registry.unwatchLoaders(arriving.watcher());
            // the loaders noted so far are the watch thread's: its next look finds waitingForLoader false
        }
    }

    private String stackNames() {
        StringBuilder sb = new StringBuilder();
        for (io.jlivepatch.PatchHandle p : registry.patches()) {
            sb.append(sb.length() == 0 ? "" : " ").append(p.name()).append(p.isEnabled() ? "" : "(disabled)");
        }
        return sb.length() == 0 ? "empty" : sb.toString();
    }

    private void succeed(String desired, String ignoring, List<DirectorySnapshot.DesiredJar> on) {
        stopWaitingForLoader();
        lastFailure = null;
        failuresInARow = 0;
        interruptedRetry = false;
        finish(desired, "converged" + ignoring);
        convergedOn = List.copyOf(on); // after the status it belongs to
    }

    /** A failed reconcile: logged and audited the first time; the same failure again only at DEBUG. */
    private void fail(String desired, Failure failure) {
        boolean again = failure.key().equals(lastFailure);
        failuresInARow = again ? failuresInARow + 1 : 1;
        lastFailure = failure.key();
        // The interrupt is still set: the reconcile keeps it for its caller (the watch thread counts it).
        interruptedRetry = Thread.currentThread().isInterrupted();
        String retry = interruptedRetry ? "; retried in " + WAITING_RETRY.toSeconds() + " s"
                : "; retried on the next change or in " + Duration.ofMillis(backoffMillis()).toSeconds() + " s";
        Log.get().log(again ? Level.DEBUG : Level.WARNING, label + ": failed: " + failure.message() + retry);
        if (!again) {
            registry.audit("reconcile", options.directory().toString(), "failed: " + failure.message());
        }
        finish(desired, "failed: " + failure.message());
    }

    private void finish(String desired, String state) {
        // Strictly later than the last one, so that a command that read it before asking for a
        // reconcile can tell this one's end (see WatchCommand) even within a millisecond.
        long ended = Math.max(System.currentTimeMillis(), status.lastReconcile() + 1);
        status = new ReconcileStatus(options.directory().toString(), desired, state, ended);
    }

    /**
     * The directory's file events: a {@link WatchService} on the directory while it exists (the
     * kubelet's swap of {@code ..data} is a rename in it), registered again when the directory is
     * replaced or comes back; without one (no directory yet, or a file system that gives no events),
     * the delay alone. Events of names the watch ignores (partial copies) are not changes.
     */
    static final class Events {

        /** Registers the directory with a watch service: the file system's, or a test's. */
        interface Registrar {
            Registrar FILE_SYSTEM = (dir, service) -> dir.register(service, StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY);

            WatchKey register(Path dir, WatchService service) throws IOException;

            /** The watch service of {@code dir}'s file system (tests give one that fails). */
            default WatchService newService(Path dir) throws IOException {
                return dir.getFileSystem().newWatchService();
            }
        }

        private final Path dir;
        private final Registrar registrar;
        private final long retryMillis;
        private WatchService service;
        private WatchKey key;
        /** The file key of the directory the key watches: another one at the path means it was replaced. */
        private Object watchedFileKey;
        /** Set once the file system has no watch service at all: the interval alone from then on. */
        private boolean unsupported;
        /**
         * The directory (its file key) whose registration failed with an IOException, and when to try
         * it again: what refuses now (inotify's limit of watches or instances reached, a directory
         * that cannot be read) may pass later, so file events must not be given up for good; nor
         * tried at every slice, each try a failed system call and the log kept for the first.
         */
        private Object refusedFileKey;
        private long retryAt;
        /**
         * When the watch service's wait may be tried again after it failed (a patch of
         * {@code AbstractWatchService.poll} that throws: the watch thread waits unmarked), 0 while it
         * works: until then the slices sleep and the interval reads the directory, as without events.
         */
        private long pollRetryAt;

        Events(Path dir, Registrar registrar, long retryMillis) {
            this.dir = dir;
            this.registrar = registrar;
            this.retryMillis = retryMillis;
        }

        /**
         * Returns after {@code millis}, once {@code now} is true, once a change was seen and the
         * directory has been quiet since, or once the directory was (re)registered: what changed
         * before its events were watched is read at once. Whether it was the time that ran out.
         */
        boolean await(long millis, BooleanSupplier now) throws InterruptedException {
            long until = System.currentTimeMillis() + millis;
            for (long left = millis; left > 0; left = until - System.currentTimeMillis()) {
                if (now.getAsBoolean()) {
                    return false;
                }
                long slice = Math.min(left, WAKE_SLICE_MILLIS);
                if (register()) {
                    return false;
                }
                if (service == null || key == null
                        || (pollRetryAt != 0 && System.currentTimeMillis() - pollRetryAt < 0)) {
                    Thread.sleep(slice);
                } else if (changed(slice)) {
                    return false;
                }
            }
            return true;
        }

        /** Whether a change was seen within {@code millis}; if so, returns once the directory is quiet. */
        private boolean changed(long millis) throws InterruptedException {
            try {
                WatchKey k;
                try {
                    k = service.poll(millis, TimeUnit.MILLISECONDS);
                } catch (ClosedWatchServiceException e) {
                    throw e;
                } catch (RuntimeException | LinkageError e) {
                    // Thrown again at once, it made the watch retry without a pause, an ERROR each time,
                    // and never reconcile: the events are given up for a while instead, as when their
                    // registration is refused, and the interval reads the directory meanwhile.
                    pollFailed(e);
                    return false;
                }
                if (pollRetryAt != 0) {
                    pollRetryAt = 0;
                    Log.get().log(Level.INFO, "watch " + dir + ": file events again");
                }
                if (k == null || !relevant(k)) {
                    return false;
                }
                long until = System.currentTimeMillis() + MAX_GATHER_MILLIS;
                while (k != null) {
                    long left = until - System.currentTimeMillis();
                    k = left <= 0 ? null : service.poll(Math.min(QUIET_MILLIS, left), TimeUnit.MILLISECONDS);
                    if (k != null) {
                        relevant(k);
                    }
                }
                return true;
            } catch (ClosedWatchServiceException e) {
                service = null;
                key = null;
                return false;
            }
        }

        private void pollFailed(Throwable e) {
            if (pollRetryAt == 0) {
                Log.get().log(Level.WARNING, "watch " + dir + ": waiting for file events failed (" + e + "); the"
                        + " directory is read every interval, and its events are waited for again every "
                        + retryMillis / 1000 + " s (a patch of the JDK's watch service that throws there?)");
            }
            pollRetryAt = System.currentTimeMillis() + retryMillis;
        }

        /** Takes {@code k}'s events; whether one of them is a change the watch reads. Resets the key. */
        private boolean relevant(WatchKey k) {
            boolean relevant = false;
            for (WatchEvent<?> e : k.pollEvents()) {
                Object name = e.context();
                relevant |= e.kind() == StandardWatchEventKinds.OVERFLOW || !(name instanceof Path)
                        || name.toString().equals(WatchedDirectory.KUBERNETES_DATA)
                        || !WatchedDirectory.ignored(name.toString());
            }
            if (!k.reset()) {
                key = null; // the directory went away: registered again when it is back
            }
            return relevant;
        }

        /** Registers the directory when it is not, or no longer the one at the path; whether it just did. */
        boolean register() {
            if (unsupported || ClosedAtExit.exiting()) {
                return false; // after the exit began, no watch service is made again (ClosedAtExit)
            }
            Object fileKey = fileKey();
            if (key != null && key.isValid() && Objects.equals(fileKey, watchedFileKey)) {
                return false;
            }
            if (key != null) {
                key.cancel();
                key = null;
            }
            if (fileKey == null) {
                return false; // no directory there (yet)
            }
            if (fileKey.equals(refusedFileKey) && System.currentTimeMillis() - retryAt < 0) {
                return false; // the same directory refused a moment ago; another one is tried at once
            }
            try {
                if (service == null) {
                    WatchService made = registrar.newService(dir);
                    // Its poller thread waits in native code, which would hold the JVM's exit for
                    // 0.3 s: closed at exit (ClosedAtExit); none is made once the exit has begun.
                    if (!ClosedAtExit.add(made)) {
                        return false; // the exit began meanwhile: closed
                    }
                    service = made;
                }
                key = registrar.register(dir, service);
                watchedFileKey = fileKey;
                if (refusedFileKey != null) {
                    refusedFileKey = null;
                    Log.get().log(Level.INFO, "watch " + dir + ": file events again");
                }
                return true;
            } catch (NoSuchFileException | NotDirectoryException e) {
                return false; // moved away since fileKey(): tried again at the next slice
            } catch (ClosedWatchServiceException e) {
                service = null; // closed at the JVM's exit (ClosedAtExit): none is made again (see above)
                key = null;
                return false;
            } catch (UnsupportedOperationException e) {
                unsupported = true;
                Log.get().log(Level.WARNING, "watch " + dir + ": no file events on this file system (" + e + ");"
                        + " the directory is read every interval only");
                close();
                return false;
            } catch (IOException e) {
                if (refusedFileKey == null) {
                    Log.get().log(Level.WARNING, "watch " + dir + ": no file events for now (" + e + "); the"
                            + " directory is read every interval, and its events are asked for again every "
                            + retryMillis / 1000 + " s (on Linux, check fs.inotify.max_user_watches and"
                            + " max_user_instances)");
                }
                refusedFileKey = fileKey;
                retryAt = System.currentTimeMillis() + retryMillis;
                return false;
            }
        }

        /** The directory's file key (its identity), or {@code null} when no directory is at the path. */
        private Object fileKey() {
            try {
                BasicFileAttributes a = Files.readAttributes(dir, BasicFileAttributes.class);
                return a.isDirectory() ? Objects.requireNonNullElse(a.fileKey(), dir) : null;
            } catch (IOException e) {
                return null;
            }
        }

        void close() {
            if (service != null) {
                ClosedAtExit.remove(service);
                try {
                    service.close();
                } catch (IOException ignored) {
                    // nothing left to release
                }
                service = null;
                key = null;
            }
        }
    }
}
