package io.jlivepatch.internal;

/**
 * jlivepatch's installation completed on a thread of its own, so that an application started with
 * {@code -javaagent} and no start-up patches does not wait for it before {@code main}: the
 * bootstrap JAR, the registry, the hooks' manager and the control channels take tens of
 * milliseconds of a cold JVM (BENCHMARKS.md, section 4), which nothing needs before the first
 * operation. Whoever needs the installation meanwhile waits for it here: {@code Livepatch.get()}
 * ({@link #await}), {@code Livepatch.install} and an attach ({@link #awaitEnded}, which then install
 * nothing while it still runs), and a later premain with start-up patches ({@link #awaitAll}).
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
    /** Whether {@link #start(Runnable)} ever started one. Guarded by the class's monitor. */
    private static boolean started;

    /**
     * The instrumentation premain was given, once it installs (null: attached only): by it the hooks'
     * notes on other agents' code tell whether the start order could help (patch.AgentOrder). Here,
     * in a class premain loads anyway, so that no class is added to a first load (FootprintIT).
     * Written once per premain before its installation; read by status's and a load's threads.
     */
    private static volatile java.lang.instrument.Instrumentation premains;

    private final Runnable installation;
    /**
     * The installation started aside before this one and still running then (jlivepatch named twice
     * with {@code -javaagent}, neither with start-up patches), or {@code null}: this one waits for it,
     * so that the options apply in the order given, as when each premain installed in turn.
     */
    private final BackgroundInstall previous;

    private BackgroundInstall(Runnable installation, BackgroundInstall previous) {
        super(null, "jlivepatch-install");
        this.installation = installation;
        this.previous = previous;
    }

    /** Records that premain, with {@code inst}, installs jlivepatch (before main, or aside of it). */
    public static void premainInstalls(java.lang.instrument.Instrumentation inst) {
        premains = inst;
    }

    /** The instrumentation premain installed with, or {@code null} when jlivepatch was only attached. */
    public static java.lang.instrument.Instrumentation premains() {
        return premains;
    }

    /**
     * Runs {@code installation} on a thread of its own. {@code installation} reports its own
     * failures; an Error it lets through goes to standard error.
     */
    public static void start(Runnable installation) {
        BackgroundInstall t;
        synchronized (BackgroundInstall.class) {
            t = new BackgroundInstall(installation, running);
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
     * once when none runs, or when called by an installing thread itself.
     */
    public static void await() {
        await(true);
    }

    /**
     * {@link #await()}, then whether no installation aside runs any more (or the caller is one): false
     * when one still runs after the bound, and whatever would install jlivepatch now must not, as it
     * would install without that installation's options (its trust store).
     */
    public static boolean awaitEnded() {
        await(true);
        if (Thread.currentThread() instanceof BackgroundInstall) {
            return true;
        }
        synchronized (BackgroundInstall.class) {
            return running == null;
        }
    }

    /**
     * Waits, without a bound, until every background installation has ended: for premain when it
     * installs itself (start-up patches) after an earlier {@code -javaagent} of jlivepatch's went
     * aside. Those options came first and applied first when each premain installed in turn: a
     * trust store among them must be in force before this premain's patches load. Returns at once
     * when none runs.
     */
    public static void awaitAll() {
        await(false);
    }

    private static void await(boolean bounded) {
        if (Thread.currentThread() instanceof BackgroundInstall) {
            return; // an installation (or one chained after it) would wait for itself
        }
        synchronized (BackgroundInstall.class) {
            long deadline = System.nanoTime() + AWAIT_MILLIS * 1_000_000L;
            boolean interrupted = false;
            try {
                while (running != null) {
                    long left = bounded ? deadline - System.nanoTime() : AWAIT_MILLIS * 1_000_000L;
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
                        + " s (a trust store or audit file on a file system that does not answer?), and nothing"
                        + " installs jlivepatch before it, so that its options (a trust store) apply first: a thread"
                        + " dump shows where jlivepatch-install waits; retry once it has completed";
            }
            return started ? "the agent's installation, started before main, failed (the log and the system"
                    + " property jlivepatch.agent.failure say why)" : null;
        }
    }

    @Override
    public void run() {
        try {
            if (previous != null) {
                joinUninterruptibly(previous);
            }
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

    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void ended() {
        synchronized (BackgroundInstall.class) {
            if (running == this) {
                // After a run, the one before has ended (joined); after a start that failed, it may run on.
                running = previous != null && previous.isAlive() ? previous : null;
            }
            BackgroundInstall.class.notifyAll();
        }
    }
}
