package io.jlivepatch.internal.core;

import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.bootstrap.StackRoom;
import io.jlivepatch.internal.patch.ClassCallbacks;

import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The callbacks of a class defined while a patch with callbacks for it is enabled or in transition
 * (the kernel's {@code klp_module_coming}): the linker gates the class's hooks, and the first call
 * that reaches the gate runs them here, under klpMutex like every other callback, before any
 * replacement runs in that class. Each patch runs only its own callbacks, and only a patch of the
 * stack: one removed by a cumulative patch has none.
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
    public void settle(Class<?> owner) {
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
        klpMutex.lock();
        Object[] outer = null;
        try {
            // A callback that never returns keeps klpMutex, as one of an enable does: a command's BUSY
            // then names this thread and these callbacks (the holder pairs with PatchRegistry.lockHeld).
            outer = registry.holdFor("running the callbacks of class " + owner.getName() + " at its first call");
            List<RegisteredPatch> stack = registry.stackForCallbacks();
            for (RegisteredPatch p : stack) {
                boolean inTransition = p.inTransition();
                if (p.isEnabled() || inTransition) {
                    registry.prepareLate(p, owner, inTransition); // on record, an exit in its middle too
                }
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError e) {
            // the call goes on, to the original code if a patch refused; never into the application
            Log.get().log(System.Logger.Level.ERROR, "running the callbacks of " + owner.getName() + " failed",
                    e);
        } finally {
            registry.releaseHold(outer);
            klpMutex.unlock();
            io.jlivepatch.internal.ModuleOpenings.wakeAuditorIfPending(); // this holder audits no opening
        }
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
}
