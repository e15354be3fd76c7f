package io.jlivepatch.internal.patch;

import io.jlivepatch.internal.Log;
import io.jlivepatch.internal.OwnThread;
import io.jlivepatch.internal.bootstrap.Recursion;
import io.jlivepatch.internal.bootstrap.StackRoom;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import java.util.function.IntSupplier;
import java.util.function.IntToLongFunction;
import java.util.function.ToIntFunction;

/**
 * jlivepatch's side of the boot loader's {@code Recursion} (the kernel's ftrace recursion lock),
 * reached through the JDK's functional interfaces ({@code Recursion.calls}) and, for the guard and
 * what only tests ask, method handles. Every entry into jlivepatch's own code on a
 * thread that may meet a hook (the hook path's routing and stack checks, the transformer, life-cycle
 * operations, JMX, the transition worker) runs between {@link #enter()} and {@link #exit(int)}, in a
 * {@code try}/{@code finally}:
 *
 * <pre>{@code
 * int mark = RecursionGuard.enter();
 * try { ... } finally { RecursionGuard.exit(mark); }
 * }</pre>
 *
 * While a thread is marked, every hook it meets runs the original method: no replacement runs on
 * jlivepatch's behalf, and a patched JDK method that jlivepatch itself uses cannot loop back into it.
 * Before jlivepatch is installed {@link #enter()} marks nothing; after it, the first one completes the
 * installation ({@link HookManager#activate}). {@link #enterIfActive()} never installs anything: until
 * the installation it counts its stretch instead, and the installation marks the stretch's thread
 * until the stretch ends (it waits only for a stretch it cannot mark).
 *
 * <p>The hooks' guard is {@code Recursion.guard()}, which folds to a constant while jlivepatch is
 * idle; the {@link Relaxer} thread is what turns it into the constant after a quiet spell.
 */
public final class RecursionGuard {

    static final String CLASS = "io.jlivepatch.internal.bootstrap.Recursion";

    // Written once by install (the first Livepatch.install, under Livepatch.class) before any hook
    // exists; volatile so that threads entering later see them. The four calls are one object of
    // the boot loader's (Recursion.calls says why it is not method handles).
    private static volatile IntSupplier enter;
    /** {@code Recursion.enterFor}, for {@link #adoptUnmarkedStretches()}. */
    private static volatile ToIntFunction<Thread> enterFor;
    private static volatile IntConsumer exit;
    /** {@code Recursion.relax}: 0 waits for a quiet spell, 1 forces. */
    private static volatile IntToLongFunction relax;
    /** For tests only: {@code Recursion.outside} and {@code Recursion.constant}. */
    private static volatile MethodHandle outside;
    private static volatile MethodHandle constant;
    private static volatile MethodHandle guard;

    /**
     * The installed hooks, whose activation installs this guard ({@link HookManager#activate}).
     * Written by {@link HookManager#install}, before any thread can enter; cleared again by
     * {@link #deactivate} when that installation failed.
     */
    private static volatile HookManager activator;

    /**
     * The stretches {@link #enterIfActive()} began before {@link #install} (activation marks their
     * threads). 16 slots: only jlivepatch's few background threads, and JMX reads, begin one before
     * the hooks are installed; more at once are still counted, and waited for.
     */
    private static final UnmarkedStretches STRETCHES = new UnmarkedStretches(16);
    /** How long activation waits for the {@link #STRETCHES} it cannot mark, at most; volatile for tests only. */
    private static volatile long stretchWait = TimeUnit.SECONDS.toNanos(2);

    private RecursionGuard() {
    }

    static void activateWith(HookManager hooks) {
        activator = hooks;
    }

    /** Takes back {@link #activateWith}{@code (hooks)}: an installation that failed (HookManager.uninstall). */
    static void deactivate(HookManager hooks) {
        // Both under Livepatch.class (install and its undo): no other activateWith comes in between.
        if (activator == hooks) {
            activator = null;
        }
    }

    /**
     * Marks the calling thread if jlivepatch is active; before that it marks nothing and activates
     * nothing (no hook exists to be met), but counts the stretch: an activation meanwhile marks its
     * thread until it ends ({@link #adoptUnmarkedStretches()}), since the hooks installed after it could
     * otherwise run a patch's replacement in it. For jlivepatch's background threads that start with the agent
     * (the control socket, JMX, the log publisher, the audit file): they must not make a JVM that never
     * gets a patch pay for the hooks' installation. Before activation this costs the stack probe
     * ({@link StackRoom}, about half a microsecond) and a monitor's enter and exit at each end;
     * after it, it is {@link #enter()}.
     */
    public static int enterIfActive() {
        if (enter != null) {
            return enter();
        }
        // Counted, so that activation marks it before any hook exists. Dekker-style with activation
        // (HookManager.activate): this stretch counts itself under STRETCHES' monitor and then reads
        // `enter`; activation writes `enter` (install, volatile) and then looks at the counts under the
        // same monitor (adoptUnmarkedStretches). If that look comes after this count in the monitor's
        // order, it sees the count and marks this thread (or waits for the stretch to end); if before,
        // activation's write of `enter` happens-before the read below (the write, activation's release
        // of the monitor, this thread's acquire in begin, the read), which sees the handle: the stretch
        // is uncounted and takes a real mark instead. Both may happen: the look counted and marked this
        // thread after the count, and the read below sees the handle. Then the mark activation gave
        // the stretch is what end hands back, and this stretch carries it to its exit (exit(mark) with
        // mark >= 0 releases it): entering again would nest inside that mark (NESTED) and leave it set
        // for good (a marked thread, and a guard that never folds to its constant again).
        if (!StackRoom.left()) {
            // As Recursion.enter at the stack's edge: nothing to release. A stretch counted here whose
            // end then overflowed would stay counted, and the activation would mark its thread for good.
            return NO_STACK;
        }
        int stretch = STRETCHES.begin();
        Runnable h = afterCount;
        if (h != null) {
            h.run();
        }
        if (enter == null) {
            return stretch;
        }
        int adopted = STRETCHES.end(stretch);
        return adopted >= 0 ? adopted : enter();
    }

    /** {@code Recursion.NO_STACK}: {@link #enterIfActive()} took neither a mark nor a stretch. */
    static final int NO_STACK = Recursion.NO_STACK; // a constant: names no class at run time

    /**
     * Run by {@link #enterIfActive()} between counting a stretch and looking whether the guard is
     * installed: the one point where an activation on another thread can both mark the stretch and
     * be seen; for tests in a JVM of their own (StretchActivationDriver), null otherwise.
     */
    static volatile Runnable afterCount;

    /**
     * Called by activation ({@link HookManager#activate}) once {@link #install} bound the guard and
     * before any hook can exist: marks the thread of every stretch that {@link #enterIfActive()} began
     * unmarked before that and that is still in progress, the calling thread's own included, until the
     * outermost of its stretches ends ({@link #exit} releases the mark then); then waits for the
     * stretches it could not mark (more at once than {@link #STRETCHES}' slots, or every mark of
     * {@code Recursion} taken), which should be none. That wait is bounded (the caller may hold the
     * registry's lock, which such a stretch may wait for); when it runs out, a WARNING says which threads
     * still run unmarked. It ends only at its bound when the calling thread's own stretch is one of
     * those not told apart (more than the slots' worth at once): known and left.
     */
    static void adoptUnmarkedStretches() {
        STRETCHES.adoptAll(enterFor);
        STRETCHES.awaitUnadopted(Thread.currentThread(), stretchWait);
    }

    /** Sets the bound of {@link #adoptUnmarkedStretches()}'s wait; for tests in a JVM of their own. */
    static void stretchWait(long nanos) {
        stretchWait = nanos;
    }

    /** Binds to the boot loader's copy of {@code Recursion}. */
    @SuppressWarnings("unchecked") // Recursion.Calls implements ToIntFunction<Thread>
    static void install(Class<?> recursion) throws ReflectiveOperationException {
        if (enter != null) {
            return; // a retried activation (HookManager.activate): bound, warmed and relaxing already
        }
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        outside = lookup.findStatic(recursion, "outside", MethodType.methodType(boolean.class));
        constant = lookup.findStatic(recursion, "constant", MethodType.methodType(boolean.class));
        Object calls = BootstrapClassPath.callsOf(recursion);
        MethodHandle g;
        try {
            g = (MethodHandle) lookup.findStatic(recursion, "guard", MethodType.methodType(MethodHandle.class))
                    .invokeExact();
        } catch (ReflectiveOperationException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t); // cannot happen: Recursion.guard returns a field
        }
        // The casts load the four interfaces here, not at a first call inside a class load that the
        // transformer sees (where loading them would be a class circularity).
        exit = (IntConsumer) calls;
        enterFor = (ToIntFunction<Thread>) calls;
        relax = (IntToLongFunction) calls;
        guard = g;
        enter = (IntSupplier) calls;
        // Runs the guard once in each of its states: the JDK compiles the method-handle code behind
        // each at its first call, with ArrayList and HashMap, which must not be a hook's first call
        // (LinkWarmer says why). No hook exists yet, so the switches deoptimize nothing.
        exit(enter());
        guardNow();
        relaxNow();
        guardNow();
        exit(enter()); // back to the check, as a hook's guard would after the quiet spell
        Relaxer r = preparedRelaxer;
        preparedRelaxer = null;
        (r != null ? r : new Relaxer()).start();
    }

    /**
     * The relaxer, made at install on the installing thread ({@link OwnThread} says why) and started
     * by the activation, which may run on any thread (a webapp's first patch). Written by
     * {@link #prepareRelaxer} (install, under Livepatch.class), taken by {@link #install} (activation,
     * under HookManager's monitor).
     */
    private static volatile Relaxer preparedRelaxer;

    /** Makes the relaxer ahead of the activation that starts it (see {@link #preparedRelaxer}). */
    static void prepareRelaxer() {
        if (enter == null && preparedRelaxer == null) {
            preparedRelaxer = new Relaxer();
        }
    }

    /**
     * Marks the calling thread; returns what {@link #exit(int)} takes. The first call after
     * {@code Livepatch.install} completes the installation ({@link HookManager#activate}): a stretch of
     * jlivepatch's code that began unmarked could otherwise go on unmarked once hooks exist.
     */
    public static int enter() {
        IntSupplier h = enter;
        if (h == null) {
            HookManager a = activator;
            if (a == null || !a.activateQuietly()) {
                return -1;
            }
            h = enter;
        }
        try {
            return h.getAsInt();
        } catch (RuntimeException | Error e) {
            return -1; // Recursion.enter throws nothing; at the stack's very edge the call itself may
        }
    }

    public static void exit(int mark) {
        if (mark < 0) {
            if (UnmarkedStretches.isStretch(mark)) {
                int real = STRETCHES.end(mark);
                if (real >= 0) {
                    exit(real); // the mark activation gave this thread's stretch (adoptUnmarkedStretches)
                }
            }
            return;
        }
        try {
            exit.accept(mark);
        } catch (RuntimeException | Error e) {
            // Cannot happen: Recursion.exit throws nothing, and Recursion.enter took this mark only with
            // room on the stack for this call (StackRoom), made at the depth of that enter.
        }
    }

    /**
     * {@code ()boolean}: true when the calling thread runs no jlivepatch code; one shared handle (the
     * guard of {@code Recursion}: a constant while jlivepatch is idle, the check otherwise).
     */
    static MethodHandle outside() {
        return guard;
    }

    /** What the hooks' guard answers for the calling thread now; for tests. */
    public static boolean guardNow() {
        MethodHandle g = guard;
        try {
            return g == null || (boolean) g.invokeExact();
        } catch (Throwable t) {
            return false;
        }
    }

    /**
     * Makes the hooks' guard the constant now if no thread is marked (as the relaxer does after a
     * quiet spell), without counting the spell towards the back-off; for tests and the warm-up.
     *
     * @return whether the guard is the constant now
     */
    public static boolean relaxNow() {
        try {
            return relax.applyAsLong(1) == 0;
        } catch (RuntimeException | Error e) {
            return false; // Recursion.relax throws nothing; at the stack's very edge the call itself may
        }
    }

    /** Whether the hooks' guard is the constant now (no thread can be marked); for tests and benchmarks. */
    public static boolean guardIsConstant() {
        MethodHandle c = constant;
        try {
            return c != null && (boolean) c.invokeExact();
        } catch (Throwable t) {
            return false;
        }
    }

    /**
     * Turns the hooks' guard into the constant once jlivepatch has been quiet for a spell
     * ({@code Recursion.relax} decides), then sleeps until a thread's mark turns it back. It runs no
     * jlivepatch code but that, and no code of a class that can be hooked (java.lang.invoke,
     * LockSupport), so it needs no mark; and a mark of its own would keep the guard from ever
     * becoming the constant.
     */
    private static final class Relaxer extends OwnThread {
        Relaxer() {
            super(null, "jlivepatch-guard-relaxer");
        }

        @Override
        public void run() {
            for (;;) {
                long wait;
                try {
                    wait = relax.applyAsLong(0);
                } catch (RuntimeException | Error t) {
                    Log.get().log(System.Logger.Level.WARNING, "the recursion guard's relaxer stops: {0}", t);
                    return;
                }
                // Recursion.check unparks this thread after it sets the guard back (a permit given
                // between relax and park makes park return at once).
                OwnThread.clearApplicationInterrupt();
                if (wait == 0) {
                    LockSupport.park(this);
                } else {
                    LockSupport.parkNanos(this, wait);
                }
            }
        }
    }

    /** Whether the calling thread is marked now; for tests. */
    public static boolean inside() {
        MethodHandle o = outside;
        try {
            return o != null && !(boolean) o.invokeExact();
        } catch (Throwable t) {
            return false;
        }
    }
}
