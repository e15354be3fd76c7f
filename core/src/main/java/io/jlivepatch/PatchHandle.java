package io.jlivepatch;

import java.time.Duration;
import java.util.List;

/**
 * A registered patch and its life cycle: register, enable, disable (in exactly the reverse order),
 * unregister. All operations are serialized by the registry; a refused one changes nothing.
 */
public interface PatchHandle {

    String name();

    Patch patch();

    /** Hooks in, calls redirected. Allowed for a registered, disabled patch whose predecessors are all enabled. */
    void enable() throws PatchException;

    /** Calls go back to the previous patch or the original. Allowed for the most recently enabled patch only. */
    void disable() throws PatchException;

    /** Removes the patch from the stack. Allowed for a disabled patch only. */
    void unregister() throws PatchException;

    /** Waits until every thread runs the patch's target state; {@code true} once it does. */
    boolean awaitTransition(Duration timeout) throws InterruptedException;

    /** Ends a running transition at once (the kernel's {@code force}); refused when there is none. */
    void forceTransition() throws PatchException;

    boolean isRegistered();

    boolean isEnabled();

    /**
     * Whether a transition of this patch runs: true until its closing callbacks (postPatch, postUnpatch) have
     * returned, when {@link #awaitTransition} returns true, as the kernel's {@code transition} file reads 1 until
     * its post callbacks have run.
     */
    boolean inTransition();

    /** One status per replaced method, in the order of the patch description. */
    List<FunctionStatus> functions();
}
