package io.jlivepatch.internal.patch;

/**
 * The callbacks of a target class defined while its patches are enabled (the kernel's
 * {@code klp_module_coming}), as the linker needs them. The registry implements it. The transformer
 * never calls it: no callback, which is the application's code, runs while a class is being defined.
 * Instead the linker puts a gate in the guard of the class's hooks, and the first call that reaches
 * it runs the pending callbacks ({@link #settle}) before any replacement runs in that class; a call
 * for which they cannot run runs the versions of the patches that have no callbacks left to run there
 * ({@link #mayRun}), the topmost first, or the class's own code, and the gate stays for the next one.
 */
public interface ClassCallbacks {

    /** None: no patch has callbacks. */
    ClassCallbacks NONE = new ClassCallbacks() {
        @Override
        public boolean pending(Class<?> owner) {
            return false;
        }

        @Override
        public boolean settle(Class<?> owner) {
            return true;
        }

        @Override
        public String failure(String patchName, Class<?> owner) {
            return null;
        }

        @Override
        public boolean mayRun(String patchName, Class<?> owner) {
            return true;
        }
    };

    /** Whether some active patch has callbacks for {@code owner} that have not run for it yet. Cheap, runs no callback. */
    boolean pending(Class<?> owner);

    /**
     * Runs the pending callbacks of {@code owner}, if any are still pending: once, concurrent callers
     * wait for the one that runs them. Returns false when they could not run for this call (the
     * calling thread holds something they may wait for, see LateCallbacks): the call must then run
     * only the versions of the patches {@link #mayRun} lets run, and the gate stay. Throws only
     * StackOverflowError, at the stack's edge.
     */
    boolean settle(Class<?> owner);

    /** Why the functions of patch {@code patchName} must not run in {@code owner} (its prePatch threw), or {@code null}. */
    String failure(String patchName, Class<?> owner);

    /**
     * Whether the versions of patch {@code patchName} may run in {@code owner} now: its prePatch did not
     * refuse the class ({@link #failure}), and it has no callback for the class still to run (which
     * {@link #settle} could not run for a call). Cheap, runs no callback; asked at each call while the
     * class's gate stays.
     */
    boolean mayRun(String patchName, Class<?> owner);
}
