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

    /**
     * Whether a transition to or from this patch runs: true until its closing callbacks (postPatch,
     * postUnpatch) have returned, as the kernel's {@code transition} file reads 1 until its post callbacks have run.
     */
    boolean isTransition();

    /** The threads that hold this patch's transition, and what holds each; empty when none runs. */
    WaitingThread[] getWaiting();

    /** 1-based position in the stack. */
    int getStackOrder();

    /** One line per function and class loader: {@code class.method(desc) [loader]: state (detail)}. */
    String[] getFunctions();

    /**
     * How many of the {@link #getFunctions() Functions} lines (one per function and class loader) fail:
     * the lines for which {@code jlivepatch load} and {@code enable} exit 5. While the patch is enabled
     * and its transition has ended, a line fails when its state is {@code failed} (the method could not
     * be hooked there, the replacement does not fit that loader's copy, a patch class's static
     * initializer threw: the version below the patch or the method's own code runs) or {@code not
     * patched} (its class is loaded there but not hooked: its own code runs). 0 while the patch is
     * disabled or in transition ({@link #isTransition() Transition}: until its closing callbacks have
     * returned, which the command waits for too), and when every line is {@code patched} or {@code
     * pending}. For a monitoring system to alert on ({@code jlivepatch_patch_failed_functions > 0}):
     * counted from the functions' states, a read costs what one of {@code Functions} does (a scan of
     * the loaded classes and a look at each function in each class loader), does not wait for
     * jlivepatch's lock (it answers while an operation or a callback runs), and fails only with an
     * {@code IllegalStateException} that says what could not be read.
     */
    int getFailedFunctions();

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
