package io.jlivepatch.internal.watch;

import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.Requester;
import io.jlivepatch.internal.patch.RecursionGuard;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

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

    // Guarded by PatchDirectoryWatch.class: start and stop, rare, one watch per JVM.
    private static volatile PatchDirectoryWatch running;

    private final PatchRegistry registry;
    private final WatchOptions options;
    private final WatchedDirectory directory;
    private final Reconciler reconciler;
    private final String label;

    /** Replaced whole after each step; read by the MBean's threads. */
    private volatile ReconcileStatus status;
    private volatile boolean stopped;
    private Thread thread;

    // Only the reconciling thread (the starter's for the first reconcile, then the watch thread,
    // which starts after it: Thread.start orders the two) reads and writes these.
    private String lastFailure;
    private int failuresInARow;
    private final Set<String> skippedLogged = new HashSet<>();

    PatchDirectoryWatch(PatchRegistry registry, WatchOptions options) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.options = options;
        this.directory = new WatchedDirectory(options.directory());
        this.label = "watch " + options.directory();
        this.reconciler = new Reconciler(registry, options.timeout(), label);
        this.status = new ReconcileStatus(options.directory().toString(), "", "applying", 0);
    }

    /**
     * Starts watching {@code options.directory()}: the first reconcile runs in the calling thread (at
     * start-up, before {@code main}: classes are patched as they load), then the watch thread.
     *
     * @throws IllegalArgumentException when this JVM already watches another directory
     */
    public static PatchDirectoryWatch start(PatchRegistry registry, WatchOptions options) {
        synchronized (PatchDirectoryWatch.class) {
            PatchDirectoryWatch w = running;
            if (w != null) {
                if (w.options.equals(options)) {
                    Log.get().log(Level.INFO, w.label + ": already watched; reconciling now");
                    w.reconcile();
                    return w;
                }
                throw new IllegalArgumentException("this JVM already watches " + w.options.describe() + "; it watches"
                        + " one directory, and its options are set when it starts: restart the JVM to watch "
                        + options.describe());
            }
            w = new PatchDirectoryWatch(registry, options);
            Log.get().log(Level.INFO, w.label + ": watching (" + options.describe() + ")");
            w.reconcile();
            w.startThread();
            running = w;
            return w;
        }
    }

    /** This JVM's watch, or {@code null}. */
    static PatchDirectoryWatch running() {
        return running;
    }

    ReconcileStatus status() {
        return status;
    }

    /** Stops the watch thread and forgets this watch; the patches stay as they are. */
    void stop() throws InterruptedException {
        stopped = true;
        Thread t;
        synchronized (PatchDirectoryWatch.class) {
            t = thread;
            if (running == this) {
                running = null;
            }
        }
        if (t != null) {
            t.interrupt();
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
    }

    void startThread() {
        Thread t = new Thread(this::watch, "jlivepatch-watch");
        t.setDaemon(true);
        synchronized (PatchDirectoryWatch.class) {
            thread = t;
        }
        t.start();
    }

    /** The watch thread: wait for a change or the next retry, reconcile, again, until stopped. */
    private void watch() {
        Events events = new Events(options.directory());
        try {
            while (!stopped) {
                try {
                    events.await(nextDelayMillis());
                    if (!stopped) {
                        reconcile();
                    }
                } catch (InterruptedException e) {
                    return; // stop()
                } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                    // The watch outlives whatever went wrong in one round: say so and carry on.
                    try {
                        Log.get().log(Level.ERROR, label + ": watching failed (" + e + "); retrying", e);
                        Thread.sleep(options.interval().toMillis());
                    } catch (InterruptedException stop) {
                        return;
                    } catch (Throwable ignored) {
                        // no memory even to log: the next round tries again
                    }
                }
            }
        } finally {
            events.close();
        }
    }

    private long nextDelayMillis() {
        String state = status.state();
        if (state.startsWith("waiting")) {
            return WAITING_RETRY.toMillis();
        }
        return state.startsWith("failed") ? backoffMillis() : options.interval().toMillis();
    }

    /** The interval, doubled for each identical failure in a row after the first, up to {@link #MAX_BACKOFF} times. */
    private long backoffMillis() {
        int doublings = Math.min(Math.max(failuresInARow, 1) - 1, Integer.numberOfTrailingZeros(MAX_BACKOFF));
        return options.interval().toMillis() << doublings;
    }

    /** Reads the directory and brings the stack to it; the outcome is in {@link #status()}. */
    void reconcile() {
        // jlivepatch's own work: hooks met while reading run the original code (RecursionGuard), and
        // every operation is audited as the watch's.
        int mark = RecursionGuard.enter();
        String before = Requester.enter(Requester.WATCH);
        try {
            reconcile0();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            finish(status.desired(), "failed: interrupted while reconciling; retried on the next change");
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            Log.get().log(Level.ERROR, label + ": reconcile failed unexpectedly", e);
            fail(status.desired(), "jlivepatch failed unexpectedly (" + e + "); retried on the next change or"
                    + " interval");
        } finally {
            Requester.restore(before);
            RecursionGuard.exit(mark);
        }
    }

    private void reconcile0() throws InterruptedException {
        DirectorySnapshot s = directory.read();
        switch (s.kind()) {
            case WAITING:
                if (!status.state().equals("waiting: " + s.why())) {
                    Log.get().log(Level.INFO, label + ": waiting: " + s.why());
                }
                finish(status.desired(), "waiting: " + s.why());
                return;
            case FAILED:
                fail(status.desired(), s.why());
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
        if (reconciler.converged(s.desired())) {
            if (!status.state().startsWith("converged")) {
                Log.get().log(Level.INFO, label + ": converged: " + (desired.isEmpty() ? "no patch" : desired));
            }
            succeed(desired, ignoring);
            return;
        }
        status = new ReconcileStatus(status.directory(), desired, "applying", status.lastReconcile());
        Log.get().log(Level.INFO, label + ": applying: " + (desired.isEmpty() ? "no patch" : desired)
                + " (stack: " + stackNames() + ")");
        String failed = reconciler.apply(s.desired());
        if (failed != null) {
            fail(desired, failed);
            return;
        }
        Log.get().log(Level.INFO, label + ": converged: " + (desired.isEmpty() ? "no patch" : desired));
        registry.audit("reconcile", options.directory().toString(), "ok (converged: "
                + (desired.isEmpty() ? "no patch" : desired) + ")");
        succeed(desired, ignoring);
    }

    private String stackNames() {
        StringBuilder sb = new StringBuilder();
        registry.patches().forEach(p -> sb.append(sb.length() == 0 ? "" : " ").append(p.name())
                .append(p.isEnabled() ? "" : "(disabled)"));
        return sb.length() == 0 ? "empty" : sb.toString();
    }

    private void succeed(String desired, String ignoring) {
        lastFailure = null;
        failuresInARow = 0;
        finish(desired, "converged" + ignoring);
    }

    /** A failed reconcile: logged and audited the first time; the same failure again only at DEBUG. */
    private void fail(String desired, String why) {
        boolean again = why.equals(lastFailure);
        failuresInARow = again ? failuresInARow + 1 : 1;
        lastFailure = why;
        String retry = "; retried on the next change or in " + Duration.ofMillis(backoffMillis()).toSeconds() + " s";
        Log.get().log(again ? Level.DEBUG : Level.WARNING, label + ": failed: " + why + retry);
        if (!again) {
            registry.audit("reconcile", options.directory().toString(), "failed: " + why);
        }
        finish(desired, "failed: " + why);
    }

    private void finish(String desired, String state) {
        status = new ReconcileStatus(options.directory().toString(), desired, state, Instant.now().toEpochMilli());
    }

    /**
     * The directory's file events: a {@link WatchService} on the directory while it exists (the
     * kubelet's swap of {@code ..data} is a rename in it), registered again when the directory comes
     * back; without one (no directory yet, or a file system that gives no events), the delay alone.
     */
    private static final class Events {
        private final Path dir;
        private WatchService service;
        private WatchKey key;
        private boolean unavailableLogged;

        Events(Path dir) {
            this.dir = dir;
        }

        /** Returns after {@code millis}, or once a change was seen and the directory has been quiet since. */
        void await(long millis) throws InterruptedException {
            register();
            if (service == null) {
                Thread.sleep(millis);
                return;
            }
            try {
                WatchKey k = service.poll(millis, TimeUnit.MILLISECONDS);
                if (k == null) {
                    return;
                }
                long until = System.currentTimeMillis() + MAX_GATHER_MILLIS;
                while (k != null) {
                    k.pollEvents();
                    if (!k.reset()) {
                        key = null; // the directory went away: registered again when it is back
                    }
                    long left = until - System.currentTimeMillis();
                    k = left <= 0 ? null : service.poll(Math.min(QUIET_MILLIS, left), TimeUnit.MILLISECONDS);
                }
            } catch (ClosedWatchServiceException e) {
                service = null;
            }
        }

        private void register() {
            if (key != null && key.isValid()) {
                return;
            }
            if (!Files.isDirectory(dir)) {
                return;
            }
            try {
                if (service == null) {
                    service = dir.getFileSystem().newWatchService();
                }
                key = dir.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
                        StandardWatchEventKinds.ENTRY_MODIFY);
            } catch (IOException | UnsupportedOperationException e) {
                if (!unavailableLogged) {
                    unavailableLogged = true;
                    Log.get().log(Level.INFO, "watch " + dir + ": no file events here (" + e + "); the directory is"
                            + " read every interval");
                }
                close();
            }
        }

        void close() {
            if (service != null) {
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
