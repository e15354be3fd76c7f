package io.jlivepatch.control;

import javax.management.MXBean;

/**
 * {@code io.jlivepatch:type=Livepatch} ({@link ObjectNames#LIVEPATCH}): the patch stack of one JVM,
 * and loading patch JARs into it. An MXBean, so that any JMX client (JConsole, an exporter) reads it
 * with no class of jlivepatch's. Refusals reach the client as {@code IllegalStateException}s whose
 * message starts with the {@code PatchException.Reason} ({@code UNTRUSTED: patch JAR ...}).
 */
@MXBean
public interface LivepatchMBean {

    /** jlivepatch's version. */
    String getVersion();

    /** Registered patch names, in stack order. */
    String[] getPatches();

    /** Whether every patch JAR must be signed by a certificate of the trust store. */
    boolean isVerifyingPatches();

    /** One line: what is verified and against which trust store, or that patches are not verified. */
    String getTrustPolicy();

    /**
     * Loads a patch JAR that this JVM reads from {@code patchJarPath}, a path in its own file system;
     * with {@code enable}, registers and enables it in one step: a refused enable leaves nothing
     * registered. While another patch is in transition it waits up to 2 seconds for it to end, then
     * refuses with {@code BUSY}.
     *
     * @return the patch's name
     */
    String load(String patchJarPath, boolean enable);

    /**
     * Loads a patch JAR sent whole: the bytes checked by the sender are the bytes loaded, and no
     * path is resolved in this JVM ({@code jlivepatch load} uses this).
     *
     * @param content       the JAR's bytes
     * @param sha256        their SHA-256 as the sender computed it (lowercase hex): refused unless equal
     * @param source        where the sender read them, for provenance and the audit log
     * @param enable        register and enable in one step, as {@link #load}
     * @param requireLoaded refuse ({@code TARGET_NOT_FOUND}) when a target class is loaded in no class loader
     * @return the patch's name
     */
    String loadContent(byte[] content, String sha256, String source, boolean enable, boolean requireLoaded);

    /** Every patch, its state, provenance and functions per class loader, as JSON ({@code status-schema.json}). */
    String statusJson();

    /** The same for people. */
    String statusText();

    /**
     * The audit log, oldest first, one line per operation; a run of the same refusal is one line that
     * counts it. Refusals and the other records are bounded apart (README "A bounded audit log").
     */
    String[] getLog();

    /**
     * With a watched patch directory ({@code patches=<dir>,watch=true}): the names of the patches it
     * asks for, in stack order, space-separated ({@code fix-a fix-b}); {@code ""} when it asks for
     * none or no directory is watched. A reading that stopped at a file names it with what it is
     * ({@code fix-a 20-b.jar(refused) 30-c.jar(unread)}, or {@code (waiting)}), each byte of its UTF-8
     * outside a patch name's characters {@code [A-Za-z0-9_.-]} written {@code %XX} ({@code 20%20b.jar} for
     * {@code 20 b.jar}), so that every entry is one word; one of a directory that cannot be read at all
     * leaves what it last asked for. One string rather than an array, so that a metrics exporter
     * can carry it as a label and a fleet's JVMs can be grouped by it.
     */
    String getDesiredPatches();

    /**
     * How the patch stack stands against the watched directory: {@code converged}, {@code applying},
     * {@code waiting: <why>} (the directory does not exist yet, or a file in it is still being
     * written), {@code failed: <reason>} (retried on the next change or interval), or {@code off}
     * when no directory is watched. The first word is the state; what follows a colon says why.
     */
    String getReconcileState();

    /** When the last reconcile of the watched directory ended, in milliseconds since the epoch; 0 before the first. */
    long getLastReconcile();

    /** The watched patch directory, a path in this JVM's file system, or {@code ""} when none is watched. */
    String getWatchedDirectory();

    /**
     * Makes {@code directory} (a path in this JVM's file system) the desired patch stack from now on,
     * as the agent's {@code patches=<dir>,watch=true,interval=<s>,timeout=<s>} does at start-up
     * ({@code jlivepatch watch} uses this). Returns at once; the first reconcile runs on the watch's
     * thread, followed through {@link #getReconcileState()} and {@link #getLastReconcile()}. The same
     * directory and options again ask for a reconcile now. Refused with {@code ILLEGAL_STATE} when this
     * JVM watches another directory or with other options (set once per JVM), {@code INVALID_ARGUMENT}
     * for a malformed path or a number out of range.
     *
     * @param intervalSeconds 1 to 86400: how often the directory is read without a file event
     * @param timeoutSeconds  1 to 3600: how long a transition may take before it is reversed
     * @return the directory as it is watched (absolute)
     */
    String watch(String directory, long intervalSeconds, long timeoutSeconds);
}
