package io.jlivepatch.internal;

/**
 * jlivepatch's one logger, {@code io.jlivepatch}, created on first use: looking it up initializes
 * the JDK's logging, which an agent must not add to every application's start-up. Every message it
 * passes on is {@link Text#clean cleaned} (see {@link CleanLogger}), so that no patch name, path or
 * exception message can forge a log line.
 */
public final class Log {

    private Log() {
    }

    private static final class Holder {
        static final System.Logger LOGGER = new CleanLogger(System.getLogger("io.jlivepatch"));
    }

    public static System.Logger get() {
        return Holder.LOGGER;
    }

    /**
     * From here until {@link #endAside()}, jlivepatch's log lines are published from a thread of
     * their own, in order, each as it would have been published here ({@link LogPublisher}); with a
     * back-end other than {@code java.util.logging}, nothing changes. For the start-up: what the
     * agent does before {@code main} is not kept waiting by the formatting of its log lines.
     */
    public static void beginAside() {
        System.Logger l = get();
        if (l instanceof CleanLogger) {
            try {
                LogPublisher.open((CleanLogger) l);
            } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                // no thread to spare (memory): the lines are published directly, as without a window
            }
        }
    }

    /** Ends what {@link #beginAside()} began: returns once every line logged since is published. */
    public static void endAside() {
        LogPublisher.close();
    }
}
