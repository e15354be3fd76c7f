package io.jlivepatch.internal.control;

/**
 * {@code io.jlivepatch:type=Patch,name=<p>}: one registered patch, like
 * {@code /sys/kernel/livepatch/<p>/}. Writing {@code Enabled} enables or disables it, with the same
 * refusals as the API.
 */
public interface PatchMBean {

    String getName();

    String getDescription();

    boolean getEnabled();

    void setEnabled(boolean enabled);

    boolean getTransition();

    /** 1-based position in the stack. */
    int getStackOrder();

    /** One line per function and class loader: {@code class.method(desc) [loader] STATE detail}. */
    String[] getFunctions();

    /** Ends a running transition at once. */
    void force();

    void unregister();
}
