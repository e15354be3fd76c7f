package io.jlivepatch.control;

import javax.management.MXBean;

/**
 * {@code io.jlivepatch:type=Patch,name=<p>} ({@link ObjectNames#patch}): one registered patch, like
 * {@code /sys/kernel/livepatch/<p>/}. Writing {@code Enabled} enables or disables it, with the same
 * refusals as the API.
 */
@MXBean
public interface PatchMBean {

    String getName();

    String getDescription();

    boolean isEnabled();

    void setEnabled(boolean enabled);

    /** Whether a transition to or from this patch runs. */
    boolean isTransition();

    /** The threads that hold this patch's transition, and what holds each; empty when none runs. */
    WaitingThread[] getWaiting();

    /** 1-based position in the stack. */
    int getStackOrder();

    /** One line per function and class loader: {@code class.method(desc) [loader]: state (detail)}. */
    String[] getFunctions();

    /** Whether it is a cumulative patch (atomic replace), like {@code /sys/kernel/livepatch/<p>/replace}. */
    boolean isReplace();

    /** The system states it sets up or takes over, {@code id:version} (the kernel's {@code klp_state}). */
    String[] getStates();

    /**
     * Target classes that were loaded in no class loader when the patch was registered: they are
     * patched when defined, or their name is wrong.
     */
    String[] getPendingClasses();

    /** The JAR's path as the requester named it; empty for a patch built in code. */
    String getSource();

    /** The SHA-256 of the JAR content that was checked and loaded; empty for a patch built in code. */
    String getSha256();

    /**
     * The subject of the certificate that signed the JAR and the certificate's SHA-256,
     * {@code "CN=... (certificate SHA-256 <hex>)"}; empty when unsigned.
     */
    String getSigner();

    /** The build hashes of the JAR's manifest, {@code attribute=sha256}. */
    String[] getBuilds();

    /** When it was registered (ISO-8601). */
    String getLoadedAt();

    /** Who registered it: {@code pid N user U}, {@code api}, {@code jmx} or {@code startup}. */
    String getLoadedBy();

    /** Ends a running transition at once (the kernel's {@code force}). */
    void force();

    void unregister();
}
