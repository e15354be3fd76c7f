package io.jlivepatch.internal.core;

import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.bootstrap.StackRoom;
import io.jlivepatch.internal.patch.ClassCallbacks;
import io.jlivepatch.internal.patch.LoaderNames;

import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The callbacks of a class defined while a patch with callbacks for it is enabled or in transition
 * (the kernel's {@code klp_module_coming}): the linker gates the class's hooks, and the first call
 * that reaches the gate runs them here, under klpMutex like every other callback, before any
 * replacement runs in that class. Each patch runs only its own callbacks, and only a patch of the
 * stack: one removed by a cumulative patch has none. A first call from a place a callback may wait
 * for (a static initializer, a shadow variable's ctor) while the lock is taken does not wait for it:
 * it runs the versions of the patches with no callbacks left to run there, or the class's own code,
 * and a later call runs the callbacks ({@link #deferred}).
 */
final class LateCallbacks implements ClassCallbacks {

    private final PatchRegistry registry;
    /** PatchRegistry.klpMutex: serializes the late callbacks with enable, disable and the transitions' ends. */
    private final ReentrantLock klpMutex;

    /**
     * The patch an enable is preparing, set and cleared under klpMutex around its prePatch and its
     * commit; volatile for {@link #pending} on the link path. A patch being loaded is in the stack
     * only from its commit: a class defined meanwhile must get its gate all the same.
     */
    private volatile RegisteredPatch enabling;

    LateCallbacks(PatchRegistry registry, ReentrantLock klpMutex) {
        this.registry = registry;
        this.klpMutex = klpMutex;
    }

    void enabling(RegisteredPatch p) {
        enabling = p;
    }

    @Override
    public boolean pending(Class<?> owner) {
        RegisteredPatch e = enabling;
        if (e != null && e.callbacks().pending(owner)) {
            return true;
        }
        for (RegisteredPatch p : registry.stackForCallbacks()) { // the volatile stack: no lock on the link path
            if (p.callbacks().pending(owner)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean settle(Class<?> owner) {
        // The first call of a class comes at whatever depth the application's stack is: a stack
        // overflow between taking klpMutex and the finally that releases it, or in that finally,
        // would leave it held for good by a thread that may end, and every later operation would
        // wait for it. So the lock is taken only with room for its release (StackRoom); without, the
        // call overflows here, as it would in a moment anyway, and the gate stays for the next call.
        if (!StackRoom.left()) {
            throw new StackOverflowError("no stack left to run the callbacks of class " + owner.getName()
                    + " at its first call: they run at its next call");
        }
        // Waits for an enable that armed the patch but has not committed yet: its commit decides
        // whether the patch is active, and so whether this class gets its callbacks.
        if (!klpMutex.tryLock()) {
            String held = heldHere(); // only when the lock is taken: a stack walk, off the common path
            if (held != null) {
                deferred(owner, held);
                return false;
            }
            klpMutex.lock();
        }
        Object[] outer = null;
        try {
            // A callback that never returns keeps klpMutex, as one of an enable does: a command's BUSY
            // then names this thread and these callbacks (the holder pairs with PatchRegistry.lockHeld).
            outer = registry.holdFor("running the callbacks of class " + owner.getName() + " at its first call");
            List<RegisteredPatch> stack = registry.stackForCallbacks();
            for (RegisteredPatch p : stack) {
                // jlivepatch's view, not the operator's: during a transition's closing callbacks (this thread's,
                // whose callback defined the class) the end's postPatch loop has passed, so this class gets its own
                boolean inTransition = registry.inTransition(p);
                if (p.isEnabled() || inTransition) {
                    registry.prepareLate(p, owner, inTransition); // on record, an exit in its middle too
                }
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            // the call goes on, to the original code if a patch refused; never into the application
            try {
                Log.get().log(System.Logger.Level.ERROR, "running the callbacks of " + owner.getName() + " failed",
                        e);
            } catch (RuntimeException | LinkageError | VirtualMachineError lost) {
                // no memory for the line either: the application's call must not get it
            }
        } finally {
            registry.releaseHold(outer);
            klpMutex.unlock();
            io.jlivepatch.internal.ModuleOpenings.wakeAuditorIfPending(); // this holder audits no opening
        }
        return true;
    }

    /**
     * What the calling thread holds that a callback under klpMutex may wait for (PatchCallbacks.heldHere),
     * or {@code null}; also {@code null} when the walk itself fails (out of memory): the call then waits for
     * the lock, as it always did, rather than failing the application's call.
     */
    private static String heldHere() {
        try {
            return PatchCallbacks.heldHere();
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            return null;
        }
    }

    /**
     * The first call of {@code owner} came from a static initializer or a shadow variable's ctor
     * ({@code held}) while klpMutex was taken. The holder may be a callback that waits for that
     * initializer (it uses the class) or that ctor (it asks for the variable): a transition's postPatch on
     * the worker, an enable's prePatch, another class's late callbacks. Waiting for klpMutex here, both
     * would wait for ever, the patch stuck and every command BUSY (LateCallbackLockTest). So the call
     * does not wait: it runs no version of a patch whose callbacks for the class are still to run (none
     * may run before its callbacks), the topmost version of a patch with none left to run there instead
     * (one without callbacks for the class, a security fix say, is not skipped: {@link #mayRun}), or the
     * class's own code; and the gate stays for the next call, which runs them.
     *
     * <p>No wait at all rather than a bounded one: this thread cannot tell a holder that waits for it
     * from one that will soon be done, and when the holder waits for it, every moment of the wait is a
     * moment the holder (an enable, a transition's end) stands still; while the gate stays, each call of
     * the class from the initializer or ctor would wait that bound again, and a loop there would stall the
     * holder for the bound times its calls. Without a wait the outcome does not depend on a time either:
     * only on whether the lock is taken at the call.
     *
     * <p>Said once per patch and class (a WARNING; until the callbacks have run, status shows it in the
     * patch's functions there, PatchCallbacks.deferral), not at each call it defers. Never throws: the
     * call goes on.
     */
    private void deferred(Class<?> owner, String held) {
        try {
            for (RegisteredPatch p : pendingFor(owner)) {
                if (p.callbacks().deferred(owner, held)) {
                    Log.get().log(System.Logger.Level.WARNING, "''{0}'': the callbacks of {1} in class loader {2}"
                            + " did not run at its first call: it came from {3} while jlivepatch''s lock was taken,"
                            + " and a callback running under that lock may be waiting for {4}; so that neither"
                            + " waits for ever, not waiting: the class runs the topmost version of a patch with no"
                            + " callbacks left to run for it, passing over the patch''s, or its own code, until a"
                            + " call from elsewhere runs its callbacks (status shows it until then)", p.name(),
                            owner.getName(), LoaderNames.of(owner.getClassLoader()), held,
                            held == PatchCallbacks.SHADOW_CTOR ? "that ctor" : "that initializer");
                }
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            // no memory for the record or the line: the call runs the class's own code all the same
        }
    }

    /** The patches whose callbacks for {@code owner} are pending, as {@link #pending} finds them. */
    private List<RegisteredPatch> pendingFor(Class<?> owner) {
        List<RegisteredPatch> out = new java.util.ArrayList<>(2);
        RegisteredPatch e = enabling;
        if (e != null && e.callbacks().pending(owner)) {
            out.add(e);
        }
        for (RegisteredPatch p : registry.stackForCallbacks()) {
            if (p != e && p.callbacks().pending(owner)) {
                out.add(p);
            }
        }
        return out;
    }

    @Override
    public String failure(String patchName, Class<?> owner) {
        for (RegisteredPatch p : registry.stackForCallbacks()) {
            if (p.name().equals(patchName)) {
                return p.callbacks().failure(owner);
            }
        }
        return null;
    }

    /**
     * Also the patch an enable is preparing (not in the stack before its commit): a class defined during
     * its prePatch is pending for it. A patch found in neither (unregistered, its versions still linked
     * until the relink) has nothing left to run: as {@link #failure} says of it.
     */
    @Override
    public boolean mayRun(String patchName, Class<?> owner) {
        RegisteredPatch p = enabling;
        if (p == null || !p.name().equals(patchName)) {
            p = null;
            for (RegisteredPatch q : registry.stackForCallbacks()) {
                if (q.name().equals(patchName)) {
                    p = q;
                    break;
                }
            }
        }
        return p == null || p.callbacks().failure(owner) == null && !p.callbacks().pending(owner);
    }
}
