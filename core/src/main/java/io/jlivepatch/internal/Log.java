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
}
