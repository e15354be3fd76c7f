package io.jlivepatch.internal.bootstrap;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.MutableCallSite;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import java.util.function.IntSupplier;
import java.util.function.IntToLongFunction;
import java.util.function.ToIntFunction;

/**
 * The kernel's {@code ftrace_test_recursion_trylock}: marks the threads that run jlivepatch's own
 * code, so that every hook they meet runs the original method. Without it, a patch of a JDK method
 * that jlivepatch itself uses on the hook path ({@code HashMap.hash}, {@code ThreadLocal.get},
 * {@code ArrayList.get}, {@code java.util.logging.Logger.log}) would send the hook back into
 * jlivepatch, and so on until the stack overflows; and a thread of jlivepatch's own (transition
 * worker, JMX, start-up loader) would run a patch's replacement.
 *
 * <p>The check is on the hot path of every hooked call, so it allocates nothing and uses no JDK
 * collection, only classes that cannot be hooked ({@code java.util.concurrent.atomic},
 * {@code Thread}, the native {@code System.identityHashCode}). Its fast path, while no thread is
 * inside jlivepatch, is one volatile read. Marked threads sit in a small open-addressed table of
 * slots, probed from the thread's identity hash; a thread only ever looks for itself, and it marks
 * itself (what it wrote is what it reads, program order) except when jlivepatch's activation marks
 * it, before any hook exists ({@link #enterFor}); the only cross-thread race is two threads claiming
 * the same free slot, which the compare-and-set settles.
 *
 * <p>The hooks do not call {@link #outside()} directly but {@link #guard()}: a call site whose target
 * is {@code outside()} while threads may be marked and the constant {@code true} once jlivepatch has
 * been idle for a while, so that in steady state the JIT folds the check away and a hooked call
 * costs what a direct call of the replacement costs (issue 14: the volatile read and branch were
 * 0.4 to 1 ns on a 1 ns method). The first {@link #enter()} to take a mark after such a quiet spell
 * sets the target back before it returns; the JVM deoptimizes the code that had folded the constant
 * at that moment (every compiled method that inlined a hook), so the quiet spell a switch back needs
 * doubles each time one ends early: a program that keeps jlivepatch busy settles on the check for good.
 *
 * <p>Loaded from the bootstrap class path (like {@link Dispatch}, which marks its own bootstrap);
 * the rest of jlivepatch, which must not name it, reaches it through {@link #calls()} and, for the
 * guard and what only tests ask, method handles.
 */
public final class Recursion {

    /** {@link #enter()}: the thread was already inside; its outer {@code enter} releases the mark. */
    public static final int NESTED = -1;
    /** {@link #enter()}: every slot is taken; the thread runs unmarked (hooks run as for any thread). */
    public static final int FULL = -2;
    /**
     * {@link #enter()}: the thread's stack is nearly used up ({@link StackRoom}); it runs unmarked, as
     * for {@link #FULL}, rather than take a mark that its {@code exit} might not have the stack to release.
     */
    public static final int NO_STACK = -3;


    private static final int SLOTS = 1024;
    private static final int MASK = SLOTS - 1;

    /** The marked threads. A slot is claimed by CAS from null and released by its owner only. */
    private static final AtomicReferenceArray<Thread> OWNERS = new AtomicReferenceArray<>(SLOTS);
    /** How many slots are claimed: zero is the fast path of {@link #outside()}. */
    private static final AtomicInteger INSIDE = new AtomicInteger();
    /** The farthest any thread ever had to probe from its hash; only grows. */
    private static final AtomicInteger MAX_PROBE = new AtomicInteger();

    private static final MethodHandle TRUE = MethodHandles.constant(boolean.class, true);
    private static final MethodHandle CHECK;
    /** The hooks' guard: {@link #CHECK} (the start), or {@link #TRUE} while {@link #constant}. */
    private static final MutableCallSite GUARD;
    private static final MethodHandle GUARD_INVOKER;

    /** A quiet spell starts at a second and doubles, up to about 17 minutes, each time one ends early. */
    private static final long FIRST_QUIET = 1_000_000_000L;
    private static final long MAX_QUIET = 1024 * FIRST_QUIET;
    /** A constant spell shorter than this many quiet spells "ended early". */
    private static final long EARLY = 16;

    /**
     * Serializes the switches of {@link #GUARD} and guards the fields below. Pairs with itself only;
     * nothing else is locked while it is held. It may be taken while jlivepatch's activation holds
     * the monitor of its stretches ({@link #enterFor} from UnmarkedStretches.adoptAll): that monitor
     * first, then this one, never the reverse.
     */
    private static final Object SWITCH = new Object();
    /**
     * True while GUARD's target is TRUE, or about to be: written (true) by {@link #relax} before it
     * reads INSIDE, read by {@link #enter()} after it raised INSIDE (the Dekker pair that keeps a
     * marked thread from ever seeing the constant; see relax).
     */
    private static volatile boolean constant;
    private static long quiet = FIRST_QUIET;   // under SWITCH
    private static long checkingSince;         // under SWITCH
    private static long constantSince;         // under SWITCH
    /** The constant spell was forced (a test, the warm-up): its end says nothing about the program. */
    private static boolean forced;             // under SWITCH
    /** Woken when the guard goes back to the check: the thread that calls {@link #relax} (RecursionGuard's). */
    private static volatile Thread relaxer;

    static {
        try {
            CHECK = MethodHandles.lookup().findStatic(Recursion.class, "outside", MethodType.methodType(boolean.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
        GUARD = new MutableCallSite(CHECK);
        GUARD_INVOKER = GUARD.dynamicInvoker();
        checkingSince = System.nanoTime();
    }

    private Recursion() {
    }

    /**
     * {@code ()boolean}, one shared handle: what every hook's guard asks first. Its answer is always
     * {@link #outside()}'s; only its cost varies (see the class comment).
     */
    public static MethodHandle guard() {
        return GUARD_INVOKER;
    }

    /**
     * {@link #enter()}, {@link #exit(int)}, {@link #enterFor(Thread)} and {@link #relax(boolean)} as the
     * JDK's functional interfaces: {@code IntSupplier}, {@code IntConsumer}, {@code ToIntFunction<Thread>}
     * and {@code IntToLongFunction} (any argument but 0 forces). jlivepatch's own class loader must not
     * name this class (it would define a copy of its own), and a method handle's call of each runs
     * method-handle code that the JDK compiles at the first call and, after 127 calls of one handle,
     * again for that handle: about 10 to 40 ms of a JVM's first patch, and code generated
     * wherever the 127th call falls (inside a class load that jlivepatch's transformer sees, a class
     * circularity). An interface call generates nothing.
     */
    public static Object calls() {
        return Calls.CALLS;
    }

    /**
     * The one object of {@link #calls()}. A class, not lambdas or method references: those are made
     * by the very method-handle code that {@link #calls()} keeps out of the way.
     */
    private static final class Calls implements IntSupplier, IntConsumer, ToIntFunction<Thread>, IntToLongFunction {
        static final Calls CALLS = new Calls();

        @Override
        public int getAsInt() {
            return enter();
        }

        @Override
        public void accept(int slot) {
            exit(slot);
        }

        @Override
        public int applyAsInt(Thread thread) {
            return enterFor(thread);
        }

        @Override
        public long applyAsLong(int force) {
            return relax(force != 0);
        }
    }

    /** Whether the calling thread runs no jlivepatch code: the check behind {@link #guard()}. */
    public static boolean outside() {
        // A thread sees its own increment (program order); other threads' marks only send it
        // down the slow path, which looks for this thread alone.
        return INSIDE.get() == 0 || !marked(Thread.currentThread());
    }

    /**
     * Marks the calling thread as running jlivepatch's code until {@link #exit(int)}.
     *
     * @return the slot to give back to {@code exit}, or {@link #NESTED} / {@link #FULL} / {@link #NO_STACK}
     */
    public static int enter() {
        Thread self = Thread.currentThread();
        if (INSIDE.get() != 0 && marked(self)) {
            return NESTED;
        }
        if (!StackRoom.left()) {
            return NO_STACK; // no room to release a mark for sure: StackRoom says why
        }
        return claim(self);
    }

    /**
     * Marks {@code thread} (the caller's or another) until {@link #exit(int)} of the slot returned,
     * which {@code thread} calls: the one use is jlivepatch's activation, which marks the threads that
     * are in a stretch of jlivepatch's code begun before the guard existed, before any hook exists.
     * Always a slot of its own, even if {@code thread} is marked already: that mark ends with the
     * stretch that took it, this one with the stretch it is given to.
     *
     * <p>{@code thread} sees the mark at the first hook it meets, since every hook comes after this
     * returns, by one of two paths. A retransformation: HotSpot retransforms at a safepoint, which
     * every thread passes before it runs a method's new code (what it reads after the safepoint was
     * written before it). A class hooked as it is defined: the transformer adds hooks only once it
     * has read the activation's volatile {@code active}, written after these marks, and a thread
     * reaches a class defined by another one through the class loader's locks.
     *
     * @return the slot, or {@link #FULL} / {@link #NO_STACK}
     */
    public static int enterFor(Thread thread) {
        // The calling thread's stack, not thread's: claim's steps run here (thread's own stretch was
        // begun with room for its end, RecursionGuard.enterIfActive).
        return StackRoom.left() ? claim(thread) : NO_STACK;
    }

    /** Marks {@code owner}: a free slot, then the count. Called by {@code owner} itself or by {@link #enterFor}. */
    private static int claim(Thread owner) {
        int h = System.identityHashCode(owner);
        for (int i = 0; i < SLOTS; i++) {
            int slot = (h + i) & MASK;
            if (OWNERS.get(slot) == null && OWNERS.compareAndSet(slot, null, owner)) {
                // Raised before owner's next check, which is all that reads it for owner.
                int max;
                while (i > (max = MAX_PROBE.get()) && !MAX_PROBE.compareAndSet(max, i)) {
                    Thread.onSpinWait();
                }
                INSIDE.incrementAndGet();
                // After the increment (see relax): a guard that is (or is becoming) the constant goes
                // back to the check before owner runs any of jlivepatch's code (enter's caller, or,
                // for enterFor, before any hook exists).
                if (constant) {
                    check();
                }
                return slot;
            }
        }
        return FULL;
    }

    /** Ends what the matching {@link #enter()} (or {@link #enterFor}) began; on the marked thread. */
    public static void exit(int slot) {
        if (slot >= 0) {
            INSIDE.decrementAndGet();
            OWNERS.set(slot, null);
        }
    }

    /** Sets the guard back to the check; returns once no hook can fold "no thread is marked" any more. */
    private static void check() {
        synchronized (SWITCH) {
            if (!constant) {
                return; // relax saw this thread's mark and backed off, or another thread got here first
            }
            // MutableCallSite.setTarget deoptimizes, before it returns, every compiled method that
            // folded TRUE; interpreted code reads the new target (this thread wrote it; threads that
            // enter later read constant == false, written after it).
            GUARD.setTarget(CHECK);
            constant = false;
            long now = System.nanoTime();
            if (!forced && now - constantSince < EARLY * quiet) {
                quiet = Math.min(quiet * 2, MAX_QUIET);
            }
            checkingSince = now;
        }
        Thread r = relaxer;
        if (r != null) {
            LockSupport.unpark(r);
        }
    }

    /**
     * Sets the guard to the constant if no thread is marked and the check has been the target for a
     * quiet spell (or {@code force}, for tests and the installation's warm-up). Called by one thread
     * of jlivepatch's own (RecursionGuard's relaxer), which registers itself so that the next switch
     * back wakes it, and runs here no code of a class that can be hooked.
     *
     * @return 0 when the guard is the constant now (park until woken), else how many nanoseconds to
     *         wait before asking again
     */
    public static long relax(boolean force) {
        synchronized (SWITCH) {
            if (relaxer == null && !force) {
                relaxer = Thread.currentThread();
            }
            if (constant) {
                return 0;
            }
            long now = System.nanoTime();
            long wait = checkingSince + quiet - now;
            if (!force && wait > 0) {
                return wait;
            }
            // Announce, then look (volatile write, then volatile read; enter() does the reverse with
            // INSIDE and constant): either this read sees a thread's mark, or that thread sees
            // constant == true and waits for SWITCH in check() before it runs any of jlivepatch's code.
            constant = true;
            if (INSIDE.get() != 0) {
                constant = false;
                return quiet;
            }
            GUARD.setTarget(TRUE);
            constantSince = now;
            forced = force;
            return 0;
        }
    }

    /** Whether the guard is the constant now; for tests. */
    public static boolean constant() {
        return constant;
    }

    private static boolean marked(Thread self) {
        int h = System.identityHashCode(self);
        int max = MAX_PROBE.get();
        for (int i = 0; i <= max; i++) {
            if (OWNERS.get((h + i) & MASK) == self) {
                return true;
            }
        }
        return false;
    }
}
