package io.jlivepatch.agent;

import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.Requester;

import java.nio.file.Path;
import java.util.List;

/**
 * Reads, verifies and prepares the start-up patch JARs, in file-name order, on a thread of its own,
 * while the thread that runs the start-up registers and enables them one by one in the same order
 * ({@link StartupPatches}): the next JAR's preparation overlaps this one's registration and
 * transition instead of adding to them (issue 14). Preparing changes nothing in the registry and
 * reports nothing ({@link PatchRegistry#prepareAhead}): every registration, refusal and log line
 * still comes from the start-up thread, in order.
 */
final class JarsAhead implements Runnable {

    private final PatchRegistry registry;
    private final List<Path> jars;
    /** The preparation of each JAR, once done; guarded by this object's monitor. */
    private final PatchRegistry.Ahead[] prepared;
    /** Set when the start-up stops taking JARs; guarded by this object's monitor. */
    private boolean stopped;
    /** Set when the thread ends, whatever the reason; guarded by this object's monitor. */
    private boolean ended;
    private Thread thread;

    private JarsAhead(PatchRegistry registry, List<Path> jars) {
        this.registry = registry;
        this.jars = jars;
        this.prepared = new PatchRegistry.Ahead[jars.size()];
    }

    /**
     * Starts preparing {@code jars}; {@code null} when no thread can be started (native memory), and
     * the start-up then loads each JAR itself, as it would without this.
     */
    static JarsAhead start(PatchRegistry registry, List<Path> jars) {
        JarsAhead ahead = new JarsAhead(registry, jars);
        try {
            // Inherits the start-up thread's context class loader (the system loader at premain):
            // verifying a signature may look up security providers through it. It ends with the
            // start-up (stop, then join), so it keeps nothing reachable.
            Thread t = new Thread(ahead, "jlivepatch-prepare");
            t.setDaemon(true);
            t.start();
            ahead.thread = t;
            return ahead;
        } catch (OutOfMemoryError e) {
            return null;
        }
    }

    @Override
    public void run() {
        // The same requester as the start-up thread's: the provenance of what it prepares says so.
        String before = Requester.enter(Requester.STARTUP);
        try {
            for (int i = 0; i < jars.size(); i++) {
                synchronized (this) {
                    if (stopped) {
                        return;
                    }
                }
                PatchRegistry.Ahead a = registry.prepareAhead(jars.get(i));
                synchronized (this) {
                    prepared[i] = a;
                    notifyAll(); // pairs with the wait in take
                }
            }
        } finally {
            Requester.restore(before);
            synchronized (this) {
                ended = true;
                notifyAll(); // pairs with the wait in take
            }
        }
    }

    /**
     * The preparation of JAR {@code i}, waiting for it if need be; {@code null} when the thread
     * ended without it (it failed unexpectedly), and the caller loads the JAR itself.
     */
    synchronized PatchRegistry.Ahead take(int i) {
        boolean interrupted = false;
        while (prepared[i] == null && !ended) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true; // premain goes on with its JARs; the interrupt is restored below
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        PatchRegistry.Ahead a = prepared[i];
        prepared[i] = null; // taken: the bytes and classes are the registry's now, or garbage
        return a;
    }

    /**
     * Stops preparing (the JARs left wait for their class loader, or the start-up ends) and waits
     * for the JAR being prepared, so that nothing of the start-up runs on after premain.
     */
    void stop() {
        synchronized (this) {
            stopped = true;
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
