package io.jlivepatch.internal.patch;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * How {@code @Next} runs a hooked method's original code when it has no copy of it
 * ({@link OriginalCopies}: code that cannot run in another class, a class file not kept): the original body sits behind the
 * method's own prologue, whose guard would send the call to the replacement again. So the
 * {@code next} handle arms a one-shot pass for (calling thread, method) and calls the method; the
 * guard of that method, the first code the call runs, takes the pass and answers "original".
 *
 * <p>Why not the recursion guard ({@code RecursionGuard}), which also makes hooks run the original:
 * its mark lasts for a whole stretch of code, so every hooked method the original body calls would
 * run its original too (a patched callee would silently be unpatched), and marking a thread turns
 * the recursion guard from its folded constant back into a check, deoptimizing every hook's caller.
 * A pass is taken by the one hook it is for and by no other (it names the method), so the original
 * body's own calls are routed as usual, recursion included.
 *
 * <p>No {@code ThreadLocal}: it is a JDK method a patch may hook, and this check runs in hooks. As
 * in the boot loader's {@code Recursion}, armed threads sit in a small open-addressed table probed
 * from the thread's identity hash: a thread only ever looks for itself, so what it wrote is what it
 * reads (program order), and the only cross-thread race, two threads claiming one free slot, is
 * settled by the compare-and-set. While no thread is armed the guard's check is one volatile read.
 *
 * <p>A pass is armed for the few instructions between the {@code next} handle and the guard; the
 * handle's {@code finally} drops it if the guard did not take it (the method lost its hook in
 * between, or the call overflowed the stack before it), so a stale pass never outlives the
 * {@code next} call: it is armed only with room on the stack for that drop ({@link #arm}).
 */
final class OriginalPass {

    private static final int SLOTS = 1024;
    private static final int MASK = SLOTS - 1;

    /** The armed threads. A slot is claimed by CAS from null and released by its owner only. */
    private static final AtomicReferenceArray<Thread> OWNERS = new AtomicReferenceArray<>(SLOTS);
    /**
     * The method each slot's pass is for. Written by the slot's owner after its claim and cleared
     * before its release (the volatile write of OWNERS that the next claimer's CAS reads), so a
     * thread reads only what it wrote itself.
     */
    private static final Object[] METHODS = new Object[SLOTS];
    /** How many slots are claimed: zero is the fast path of {@link #take}. */
    private static final AtomicInteger ARMED = new AtomicInteger();
    /** The farthest any thread ever had to probe from its hash; only grows. */
    private static final AtomicInteger MAX_PROBE = new AtomicInteger();

    private static final MethodHandle ARM;
    private static final MethodHandle DROP;
    private static final MethodHandle TAKE;

    /** One stable token per hooked method (class and key): the arm and the guard must name the same. */
    private static final ClassValue<java.util.concurrent.ConcurrentHashMap<String, Token>> TOKENS =
            new ClassValue<>() {
                @Override
                protected java.util.concurrent.ConcurrentHashMap<String, Token> computeValue(Class<?> type) {
                    return new java.util.concurrent.ConcurrentHashMap<>();
                }
            };

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            ARM = l.findStatic(OriginalPass.class, "arm", MethodType.methodType(void.class, Object.class));
            DROP = l.findStatic(OriginalPass.class, "drop", MethodType.methodType(void.class, Object.class));
            TAKE = l.findStatic(OriginalPass.class, "take", MethodType.methodType(boolean.class, Object.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private OriginalPass() {
    }

    /** The token of one hooked method; the same object for as long as its class lives. */
    static Token token(Class<?> owner, String methodKey) {
        // No lambda: this runs while a hook is linked, possibly in the middle of a class load (issue 10).
        java.util.concurrent.ConcurrentHashMap<String, Token> perClass = TOKENS.get(owner);
        Token t = perClass.get(methodKey);
        if (t == null) {
            Token fresh = new Token();
            t = perClass.putIfAbsent(methodKey, fresh);
            if (t == null) {
                t = fresh;
            }
        }
        return t;
    }

    /**
     * {@code original} (the hooked method itself, typed as its call site) called with a pass:
     * its hook runs the original code for this one call.
     */
    static MethodHandle original(MethodHandle original, Token token) {
        MethodType type = original.type();
        MethodHandle armed = MethodHandles.foldArguments(original, ARM.bindTo(token));
        MethodHandle drop = DROP.bindTo(token); // ()void
        MethodHandle cleanup;
        if (type.returnType() == void.class) {
            cleanup = MethodHandles.dropArguments(drop, 0, Throwable.class);
            cleanup = MethodHandles.dropArguments(cleanup, 1, type.parameterList());
        } else {
            cleanup = MethodHandles.foldArguments(MethodHandles.identity(type.returnType()), drop);
            cleanup = MethodHandles.dropArguments(cleanup, 0, Throwable.class);
            cleanup = MethodHandles.dropArguments(cleanup, 2, type.parameterList());
        }
        return MethodHandles.tryFinally(armed, cleanup);
    }

    /**
     * {@code ()boolean}: {@code guard}, unless the calling thread holds a pass for this method,
     * which it takes: then false (the original code) without asking {@code guard}, whose
     * per-thread checks (a transition's hook pass) are for calls that enter the method, not for
     * the version below one that is running.
     */
    static MethodHandle guard(MethodHandle guard, Token token) {
        // The same guard gets the same wrapper, so that Dispatch sees an unchanged guard and does
        // not relink it (the shared guards of ReplacementLinker and ThreadRouting are memos too).
        if (token.guard != guard) {
            token.wrapped = MethodHandles.guardWithTest(TAKE.bindTo(token), ReplacementLinker.FALSE, guard);
            token.guard = guard;
        }
        return token.wrapped;
    }

    /**
     * The identity of one hooked method's passes, and the memo of its last guard. The memo's fields
     * are read and written by the resolver only, which Dispatch runs under its link lock: that lock
     * orders them.
     */
    static final class Token {
        private MethodHandle guard;
        private MethodHandle wrapped;
    }

    @SuppressWarnings("unused") // through ARM
    private static void arm(Object method) {
        // Armed only with room on the stack for the drop in the handle's finally: a @Next call comes at
        // whatever depth the replacement runs (deep in a recursion), and when the call of the original
        // overflowed at the edge, the drop at the same depth overflowed too (seen on JDK 25): the pass
        // stayed armed for good, the slot held by a thread that may end and ARMED above zero (every
        // hook's guard scanning the table), and a thread that lives on took the stale pass at its next
        // call of the method, which ran the original instead of the patch. The drop's chain is far
        // shallower than StackRoom's probe; without room nothing is armed, and the call overflows here
        // as it would in a moment anyway (OriginalPassStackEdgeTest).
        if (!io.jlivepatch.internal.bootstrap.StackRoom.left()) {
            throw new StackOverflowError("no stack left to run the original code of a hooked method through @Next;"
                    + " nothing was armed");
        }
        Thread self = Thread.currentThread();
        int h = System.identityHashCode(self);
        for (;;) {
            for (int i = 0; i < SLOTS; i++) {
                int slot = (h + i) & MASK;
                if (OWNERS.get(slot) == null && OWNERS.compareAndSet(slot, null, self)) {
                    METHODS[slot] = method;
                    int max;
                    while (i > (max = MAX_PROBE.get()) && !MAX_PROBE.compareAndSet(max, i)) {
                        Thread.onSpinWait();
                    }
                    // After the slot's contents: a thread that sees the count finds the slot filled.
                    ARMED.incrementAndGet();
                    return;
                }
            }
            // Every slot taken: each is held for a few instructions only, so one frees soon. Going on
            // without a pass would run the replacement again instead of the original.
            Thread.onSpinWait();
        }
    }

    /** The {@code next} call's {@code finally}: drops this thread's pass for {@code method} if the guard left it. */
    @SuppressWarnings("unused") // through DROP
    private static void drop(Object method) {
        take(method);
    }

    /** Takes the calling thread's pass for {@code method}; whether there was one. */
    private static boolean take(Object method) {
        if (ARMED.get() == 0) {
            return false;
        }
        Thread self = Thread.currentThread();
        int h = System.identityHashCode(self);
        int max = MAX_PROBE.get();
        for (int i = 0; i <= max; i++) {
            int slot = (h + i) & MASK;
            if (OWNERS.get(slot) == self && METHODS[slot] == method) {
                METHODS[slot] = null;
                ARMED.decrementAndGet();
                OWNERS.set(slot, null);
                return true;
            }
        }
        return false;
    }
}
