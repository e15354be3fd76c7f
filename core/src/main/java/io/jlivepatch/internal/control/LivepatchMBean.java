package io.jlivepatch.internal.control;

/**
 * {@code io.jlivepatch:type=Livepatch}: the patch stack of this JVM, and loading patch JARs.
 * Refusals surface as {@code IllegalStateException}s whose message starts with the
 * {@code PatchException.Reason}, so that any JMX client (JConsole included) can show them.
 */
public interface LivepatchMBean {

    /** jlivepatch's version. */
    String getVersion();

    /** Registered patch names, in stack order. */
    String[] getPatches();

    /**
     * Loads a patch JAR; with {@code enable} registers and enables it in one step: a refused enable
     * leaves nothing registered. While another patch is in transition it waits up to 2 seconds for
     * it to end, then refuses with {@code BUSY}.
     */
    String load(String patchJarPath, boolean enable);

    /** Every patch, its state and its functions per class loader, as JSON. */
    String statusJson();

    /** The same for people. */
    String statusText();

    /** The audit log, oldest first. */
    String[] getLog();
}
