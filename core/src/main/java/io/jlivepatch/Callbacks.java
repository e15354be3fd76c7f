package io.jlivepatch;

/**
 * What runs around a patch's transitions for one target class (the kernel's per-object callbacks),
 * once per class loader that defines the class, with that {@code Class}. Every method does nothing
 * unless overridden.
 *
 * <p>Enable: {@link #prePatch} for every loaded class, in description order, before any call is
 * redirected (a throw refuses the enable with {@code CALLBACK_FAILED}, and the classes already
 * prepared get {@link #postUnpatch}); {@link #postPatch} once the transition is complete. Disable:
 * {@link #preUnpatch} before the transition, {@link #postUnpatch} after it. A reversed enable ends
 * with {@code postUnpatch} only, a reversed disable with {@code postPatch} only. A class defined
 * while the patch is enabled gets {@code prePatch} and {@code postPatch} before its first redirected
 * call. Exceptions from the other three are logged and reported; they stop nothing. An interrupt a
 * callback sets, or is told of, stays on its thread only when the application's own call runs it (an
 * operation of the API, a class's first call); a thread of jlivepatch's (a command's, the watch's,
 * start-up's, the transition worker) keeps the interrupt status the callback found.
 */
public interface Callbacks {

    /** Prepares {@code target} for the patch; a throw refuses the enable (or leaves a late class unpatched). */
    default void prePatch(Class<?> target) throws Exception {
    }

    /** The patch's transition to patched has completed. */
    default void postPatch(Class<?> target) {
    }

    /** The patch is about to be disabled. */
    default void preUnpatch(Class<?> target) {
    }

    /** The patch's transition to unpatched has completed (or its enable was refused after {@code prePatch}). */
    default void postUnpatch(Class<?> target) {
    }
}
