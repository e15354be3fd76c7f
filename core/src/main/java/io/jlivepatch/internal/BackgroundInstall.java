package io.jlivepatch.internal;

/**
 * jlivepatch's installation completed on a thread of its own, so that an application started with
 * {@code -javaagent} and no start-up patches does not wait for it before {@code main}: the
 * bootstrap JAR, the registry, the hooks' manager and the control channels take tens of
 * milliseconds of a cold JVM (BENCHMARKS.md, section 4), which nothing needs before the first
 * operation. Whoever needs the installation meanwhile waits for it: {@code Livepatch.get()} and an
 * attach here ({@link #await}), anything else in {@code Livepatch.install}'s monitor.
 *
 * <p>Its transformer still comes before those of the agents named after jlivepatch on the command
 * line, though they add theirs first: the JVM runs the agents' transformers in the order the agents
 * were started, each agent's own in the order it added them (ByteBuddyAgentIT).
 *
 * <p>The thread is this class, in the package of {@link OwnThread}: every class premain loads, the
 * first of a package most, costs a cold JVM a fraction of a millisecond to a millisecond.
 */
public final class BackgroundInstall extends OwnThread {

    /** How long {@link #await} waits at most: the installation's own bound (standard error's probe) is 2 s. */
    static final long AWAIT_MILLIS = 10_000;

    /** The installing thread while it runs, else {@code null}. Guarded by the class's monitor; waiters are notified when it ends. */
    private static BackgroundInstall running;
    /** Whether {@link #start(Instrumentation, Runnable)} ever started one. Guarded by the class's monitor. */
    private static boolean started;

    private final Runnable installation;

    private BackgroundInstall(Runnable installation) {
        super(null, "jlivepatch-install");
        this.installation = installation;
    }

    /**
     * Runs {@code installation} on a thread of its own. {@code installation} reports its own
     * failures; an Error it lets through goes to standard error.
     */
    public static void start(Runnable installation) {
        BackgroundInstall t = new BackgroundInstall(installation);
        synchronized (BackgroundInstall.class) {
            running = t;
            started = true;
        }
        try {
            t.start();
        } catch (RuntimeException | Error e) {
            t.ended(); // no thread: nobody may wait for it
            throw e;
        }
    }

    /**
     * Waits until a background installation has ended, {@link #AWAIT_MILLIS} at most; returns at
     * once when none runs, or when called by the installing thread itself.
     */
    public static void await() {
        synchronized (BackgroundInstall.class) {
            long deadline = System.nanoTime() + AWAIT_MILLIS * 1_000_000L;
            boolean interrupted = false;
            try {
                while (running != null && running != Thread.currentThread()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return;
                    }
                    try {
                        // Pairs with notifyAll in ended(): the monitor orders the installation's
                        // writes (Livepatch's instance) before this thread's reads after it.
                        BackgroundInstall.class.wait(Math.max(1, left / 1_000_000L));
                    } catch (InterruptedException e) {
                        interrupted = true; // the wait is bounded; the caller's interrupt is kept for it
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Whether a background installation runs now. */
    public static boolean running() {
        synchronized (BackgroundInstall.class) {
            return running != null;
        }
    }

    /**
     * Why {@code Livepatch.get()} finds nothing installed after {@link #await}, when a background
     * installation was started: it still runs, or it ended without installing. {@code null} when
     * none was started.
     */
    public static String whyNotInstalled() {
        synchronized (BackgroundInstall.class) {
            if (running != null) {
                return "the agent's installation, started before main, still runs after " + AWAIT_MILLIS / 1000
                        + " s; retry later";
            }
            return started ? "the agent's installation, started before main, failed (the log and the system"
                    + " property jlivepatch.agent.failure say why)" : null;
        }
    }

    @Override
    public void run() {
        try {
            installation.run();
        } catch (Throwable t) {
            // The installation reports its own failures (log, system property); this is what it
            // let through, an Error it does not expect. The application runs on without jlivepatch.
            try {
                System.err.println("jlivepatch: could not be installed (" + t + "); the application runs without"
                        + " live patching");
            } catch (Throwable ignored) {
                // nothing more can be done
            }
        } finally {
            ended();
        }
    }

    private void ended() {
        synchronized (BackgroundInstall.class) {
            if (running == this) {
                running = null;
            }
            BackgroundInstall.class.notifyAll();
        }
    }
}
