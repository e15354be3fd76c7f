package io.jlivepatch.internal;

/**
 * jlivepatch's one logger, {@code io.jlivepatch}, created on first use: looking it up initializes
 * the JDK's logging, which an agent must not add to every application's start-up. Every message it
 * passes on is {@link Text#clean cleaned} (see {@link CleanLogger}), so that no patch name, path or
 * exception message can forge a log line. With {@code java.util.logging} as the back-end (the JDK's
 * default) the lines are published from a thread of their own ({@link LogPublisher}): a standard
 * error that does not take them never holds an operation, nor the lock it holds.
 */
public final class Log {

    private Log() {
    }

    /**
     * The JVM's Instrumentation once jlivepatch is installed (HookManager.install), through which the
     * logger made at the first line can see whether {@code java.util.logging} is initialized already
     * ({@link JulFirstUse}); {@code null} before, as in premain's first lines. Read once, then.
     */
    private static volatile java.lang.instrument.Instrumentation instrumentation;

    /**
     * {@link #get()}'s logger once made: written once, under {@code Log.class} ({@link #made()}), read
     * without a lock (the volatile pairs that write with {@code get()}'s read, so a logger seen is
     * seen whole). Not a holder class's constant: a class initializer that failed, out of memory or
     * stack at the first line, would make every later {@code get()} throw NoClassDefFoundError for the
     * JVM's life, from the catch and finally blocks that log.
     */
    private static volatile System.Logger logger;

    /**
     * Makes {@link #made()}'s next attempt fail with it, once, as the back-end's making would
     * (LoggerMadeAgainDriver).
     */
    static volatile Error failNextMakeForTests;

    /**
     * The thread whose {@link #get()} fails, as a line's making out of memory would, once it has been
     * called {@link #getsLeftForTests} more times; {@code null} (the one volatile read of {@code get()})
     * when none. Other threads' lines are not counted: a transition worker's or the publisher's.
     */
    private static volatile Thread failingForTests;
    private static int getsLeftForTests;
    private static Error getFailureForTests;

    /**
     * Makes the {@code nth} {@link #get()} from now on this thread (1: the next) throw {@code e}, once: a log
     * line of an operation that finds no memory for its making (OperationLinesLostTest). {@code null} disarms.
     */
    public static void failGetOnThisThreadForTests(int nth, Error e) {
        getsLeftForTests = nth;
        getFailureForTests = e;
        failingForTests = e == null ? null : Thread.currentThread();
    }

    private static void failGetForTests() {
        if (failingForTests == Thread.currentThread() && --getsLeftForTests == 0) {
            failingForTests = null;
            throw getFailureForTests;
        }
    }

    /** Runs once inside the next making, before the back-end is asked for: a line logged meanwhile (LoggerMadeAgainDriver). */
    static volatile Runnable whileMakingForTests;

    /**
     * How many makings may fail out of memory or stack, each passing the failure to its line, before
     * standard error is kept as for any other failure: a back-end whose making overflows the stack every
     * time (a System.LoggerFinder in a signed JAR, whose verification logs through System.Logger on JDKs
     * before JDK-8314263's fix) would otherwise fail every line for the JVM's life.
     */
    static final int MAKE_ATTEMPTS = 3;
    /** The makings that failed out of memory or stack so far. Under {@code Log.class} ({@link #made()}). */
    private static int failedMakes;

    /**
     * Makes the logger, once: under {@code Log.class} so that two first lines make one. A failure out
     * of memory or stack is the calling line's alone (the logger is not kept), and the next line tries
     * again.
     */
    private static synchronized System.Logger made() {
        if (logger == null) {
            System.Logger l = cleaned();
            if (logger == null) { // else a line logged while the back-end was made (this thread: the lock is
                logger = l;       // reentrant) made one first, which lines may hold already: it stays
            }
        }
        return logger;
    }

    /**
     * The logger of {@link #get()}, under {@code Log.class}. {@code System.getLogger} runs the
     * application's {@code System.LoggerFinder} if it has one (a broken service file:
     * ServiceConfigurationError), so its failure leaves jlivepatch on standard error for the JVM's life,
     * said in the first line; but not a failure out of memory or stack, which passes, so that the next
     * line tries again, up to {@link #MAKE_ATTEMPTS} times. An InternalError is no shortage: kept as any.
     */
    private static System.Logger cleaned() {
        System.Logger backEnd;
        try {
            Error fail = failNextMakeForTests;
            if (fail != null) {
                failNextMakeForTests = null;
                throw fail;
            }
            Runnable meanwhile = whileMakingForTests;
            if (meanwhile != null) {
                whileMakingForTests = null;
                meanwhile.run();
            }
            backEnd = backEnd();
        } catch (OutOfMemoryError | StackOverflowError e) {
            if (++failedMakes < MAKE_ATTEMPTS) {
                throw e;
            }
            backEnd = standardErrorBecause(e);
        } catch (RuntimeException | Error e) {
            backEnd = standardErrorBecause(e);
        }
        return new CleanLogger(backEnd);
    }

    /** Standard error, for the life of the JVM, after a first line saying that {@code e} left no other. */
    static System.Logger standardErrorBecause(Throwable e) {
        System.Logger err = new StandardErrorLogger("io.jlivepatch");
        try {
            err.log(System.Logger.Level.WARNING, "jlivepatch logs to standard error: the JVM's System.Logger for"
                    + " io.jlivepatch could not be made (" + Text.clean(String.valueOf(e)) + ")");
        } catch (RuntimeException | Error again) {
            // the lines that follow say the rest, if standard error takes any
        }
        return err;
    }

    /**
     * {@code System.getLogger}'s, unless that would initialize {@code java.util.logging} before the
     * application could give it its own manager: then standard error, for the life of the JVM (the
     * logger is made once), said in its first line.
     */
    private static System.Logger backEnd() {
        // JulFirstUse only when a property names a class: most JVMs load no class for it (FootprintIT)
        String why = julPropertySet() ? JulFirstUse.unsafe(instrumentation) : null;
        if (why == null) {
            return System.getLogger("io.jlivepatch");
        }
        System.Logger err = new StandardErrorLogger("io.jlivepatch");
        err.log(System.Logger.Level.INFO, "jlivepatch logs to standard error: " + Text.clean(why));
        return err;
    }

    /**
     * The properties whose classes java.util.logging loads once, at its initialization
     * ({@link JulFirstUse}); here, so that checking whether one is set loads no class.
     */
    static final String[] JUL_PROPERTIES = {"java.util.logging.manager", "java.util.logging.config.class"};

    /** Whether one of {@link #JUL_PROPERTIES} is set. */
    private static boolean julPropertySet() {
        try {
            for (String property : JUL_PROPERTIES) {
                if (System.getProperty(property) != null) {
                    return true;
                }
            }
            return false;
        } catch (SecurityException e) {
            return true; // JulFirstUse skips what it cannot read
        }
    }

    /** Hands the logger to be made the JVM's Instrumentation (see {@link #instrumentation}). */
    public static void instrumentation(java.lang.instrument.Instrumentation inst) {
        instrumentation = inst;
    }

    public static System.Logger get() {
        if (failingForTests != null) {
            failGetForTests();
        }
        System.Logger l = logger;
        return l != null ? l : made();
    }

    /**
     * A logger for a line logged while the JVM shuts down, after a wait: standard error, in the
     * format {@link #get()}'s lines have with the JDK's default configuration. Not java.util.logging,
     * whose own shutdown hook (LogManager's Cleaner) resets its handlers concurrently with
     * jlivepatch's: a line logged through it then is dropped, which the audit file's drain met
     * (its warning about lines it could not write never showed). A line waits at most a second for
     * standard error to take it: one that takes nothing does not hold the exit.
     */
    public static System.Logger atExit() {
        return new CleanLogger(new StandardErrorLogger("io.jlivepatch", true));
    }

    /**
     * From here until {@link #endAside()}, logging does not wait for jlivepatch's lines to be
     * published ({@link LogPublisher}, which publishes every line from a thread of its own, in
     * order); with a back-end other than {@code java.util.logging}, nothing changes. For the
     * start-up: what the agent does before {@code main} is not kept waiting by the formatting of its
     * log lines.
     */
    public static void beginAside() {
        System.Logger l = get();
        if (l instanceof CleanLogger) {
            try {
                LogPublisher.begin((CleanLogger) l);
            } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                // no thread to spare (memory): the lines are published directly, as without a window
            }
        }
    }

    /**
     * Says that lines are coming in the window {@link #beginAside()} opened: its publisher formats a
     * record meanwhile, printing nothing, so that the cold JVM's first formatting (tens of
     * milliseconds) overlaps the caller's work rather than the window's end. Nothing without a window.
     */
    public static void linesComing() {
        System.Logger l = get();
        if (l instanceof CleanLogger) {
            LogPublisher.warm((CleanLogger) l);
        }
    }

    /**
     * Ends what {@link #beginAside()} began: returns once every line logged so far is published,
     * or the log's output is stuck (see {@link LogPublisher}).
     */
    public static void endAside() {
        System.Logger l = get();
        if (l instanceof CleanLogger) {
            LogPublisher.end((CleanLogger) l);
        }
    }
}
