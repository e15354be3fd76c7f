package io.jlivepatch.internal.transition;

import io.jlivepatch.internal.patch.HookLedger;
import io.jlivepatch.internal.patch.LoadedClasses;
import io.jlivepatch.internal.patch.RecursionGuard;
import io.jlivepatch.internal.patch.ThreadRouting;

import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One patch's transition (the kernel's {@code transition.c}): every thread has a patch state,
 * patched or unpatched, and moves to the target state only when none of the patch's methods is on
 * its stack, either itself at a hook or by the worker from a stack snapshot.
 *
 * <p>A thread's state lives in one word: bit 0 is the state (1 = patched), the bits above count
 * the thread's hook passes. A hook pass adds 2; the worker moves a thread with a compare-and-set
 * from the word it read before taking the snapshot, so a thread that passed a hook after that read
 * (and so may have entered a patched method the snapshot missed) is never moved.
 *
 * <table>
 *   <caption>States</caption>
 *   <tr><th>thread</th><th>state at its first hook</th></tr>
 *   <tr><td>alive at the start</td><td>the state before the transition (pending)</td></tr>
 *   <tr><td>platform thread started later</td><td>the target state: its stack holds no patched method</td></tr>
 *   <tr><td>virtual thread not seen before</td><td>the state before the transition; it checks its own
 *       stack at once</td></tr>
 * </table>
 */
public final class Transition implements ThreadRouting {

    private static final long PATCHED = 1L;
    private static final long PASS = 2L;

    /** No permission is asked for this option (only RETAIN_CLASS_REFERENCE's is, see ClassWalker). */
    private static final StackWalker WITH_HIDDEN_FRAMES =
            StackWalker.getInstance(StackWalker.Option.SHOW_HIDDEN_FRAMES);

    private static final MethodHandle PASS_HOOK;
    private static final MethodHandle IN_PATCHED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PASS_HOOK = l.findVirtual(Transition.class, "passHookImpl", MethodType.methodType(boolean.class));
            IN_PATCHED = l.findVirtual(Transition.class, "inPatchedStateImpl", MethodType.methodType(boolean.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final String patchName;
    private final PatchedMethods methods;
    /** The state threads had before the transition began. */
    private final boolean initialPatched;
    /**
     * Flipped by {@link #reverse()} (under the registry's lock); read by hooks and the worker
     * without a lock. A thread moved towards a stale target is harmless: only clean threads move.
     */
    private volatile boolean targetPatched;
    private volatile boolean forced;
    /**
     * False while the call sites are relinked to this transition's routes: relinking is not atomic
     * across sites, so no thread may move before every site routes by thread state (the kernel's
     * barrier between setting {@code func->transition} and setting tasks pending). Written after
     * {@code MutableCallSite.syncAll}; read by hooks and the worker.
     */
    private volatile boolean started;
    /** The worker retrying this transition, woken when a thread moves itself; null until it runs. */
    private volatile Thread worker;

    private final Map<Thread, AtomicLong> states = new ConcurrentHashMap<>();

    /*
     * The check that can spare the worker its stack snapshot ({@link #noMethodLoaded}): set before
     * the transition starts (published by the write of started), null when the snapshot is always
     * taken. The scan is replaced by newer ones; two attempts at once (a reversal's beside the
     * worker's) at worst both scan.
     */
    private Instrumentation unloadedCheck;
    private HookLedger unloadedLedger;
    private volatile LoadedClasses unloadedScan;
    /** A class of the methods was found loaded: from then on every attempt takes the snapshot. */
    private volatile boolean methodLoaded;

    /** Where the worker last saw each waiting thread held, for status: {@link #heldBy}'s pair. */
    private final Map<Thread, String[]> heldAt = new ConcurrentHashMap<>();
    /** The virtual threads the transition has not met that its last look found inside a method; for status. */
    private volatile List<Waiter> virtualWaiters = List.of();

    /**
     * Why the last attempt to end this transition failed (a hook's relink, a retransformation), or
     * {@code null}: the worker tries again, and status says why it has not ended though every thread
     * moved. Written by the worker's attempt (under the registry's lock), read by status, hence volatile.
     */
    private volatile String endFailure;
    /**
     * While a virtual thread holds the transition, the worker's retries read the thread dump at most
     * once per this many times the last dump took (and at most every 100 ms): a dump takes every
     * thread's stack, which in a JVM of many threads costs far more than the worker's own snapshot.
     */
    private static final long VIRTUAL_LOOK_SHARE = 10;
    /** Status names at most this many of them: a server's idle connections can be thousands. */
    private static final int MAX_VIRTUAL_WAITERS = 100;
    private static final long MIN_VIRTUAL_LOOK_GAP_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(100);
    /**
     * When the worker may read the dump again. Volatile: a reversal's first attempt (under klpMutex)
     * may run beside the worker's; at worst the two read one dump more.
     */
    private volatile long nextVirtualLook;
    private static final java.util.concurrent.atomic.AtomicBoolean VIRTUAL_UNTRACKED_WARNED =
            new java.util.concurrent.atomic.AtomicBoolean();
    private static final java.util.concurrent.atomic.AtomicBoolean VIRTUAL_UNCHECKED_WARNED =
            new java.util.concurrent.atomic.AtomicBoolean();

    /*
     * Bound once: every hooked method of the transition links the same two, and a handle bound per
     * site would cost each of them a bound-handle and lambda-form lookup at every relink.
     */
    private final MethodHandle passHook = PASS_HOOK.bindTo(this);
    private final MethodHandle inPatchedState = IN_PATCHED.bindTo(this);
    /** The four of {@link #side} and of {@link #guard}, built on first use; under Dispatch's link lock. */
    private final MethodHandle[] sides = new MethodHandle[4];
    private final MethodHandle[] guards = new MethodHandle[4];
    private MethodHandle guardsOutside;
    private static final MethodHandle TRUE = MethodHandles.constant(boolean.class, true);
    private static final MethodHandle FALSE = MethodHandles.constant(boolean.class, false);

    /**
     * Starts a transition: every live platform thread is put in the state before it.
     *
     * @param methods       class name, method name and descriptor of each of the patch's methods
     */
    public Transition(String patchName, List<String[]> methods, boolean targetPatched) {
        this(patchName, PatchedMethods.of(methods), targetPatched);
    }

    /**
     * As above, and status says when a waiting thread is held by a patch's own code under the method
     * (see {@link Waiter#inside}).
     *
     * @param patchCode replacement class, method name and patch name of each replacement of the
     *                  registered patches
     */
    public Transition(String patchName, List<String[]> methods, List<String[]> patchCode, boolean targetPatched) {
        this(patchName, withCode(PatchedMethods.of(methods), patchCode), targetPatched);
    }

    /**
     * As above, and a frame whose loader is named {@code jlivepatch:<patch>} is that patch's code only when
     * {@code ownClasses.get(patch)} says its JAR's own loader defined the frame's class (any loader may be
     * given that name); a patch without an entry has no loader of its own, and no frame is taken for its
     * JAR's by the name alone.
     */
    public Transition(String patchName, List<String[]> methods, List<String[]> patchCode,
                      Map<String, java.util.function.Predicate<String>> ownClasses, boolean targetPatched) {
        this(patchName, withCode(PatchedMethods.of(methods), patchCode).withOwnClasses(ownClasses), targetPatched);
    }

    private static PatchedMethods withCode(PatchedMethods methods, List<String[]> patchCode) {
        for (String[] c : patchCode) {
            methods.addCode(c[0], c[1], c[2]);
        }
        return methods;
    }

    private Transition(String patchName, PatchedMethods methods, boolean targetPatched) {
        this.patchName = patchName;
        this.methods = methods;
        this.targetPatched = targetPatched;
        this.initialPatched = !targetPatched;
        for (Thread t : Threads.live()) {
            states.put(t, new AtomicLong(initialPatched ? PATCHED : 0));
        }
    }

    /** The thread to wake when a thread moves itself. */
    public void setWorker(Thread worker) {
        this.worker = worker;
    }

    /**
     * Lets the worker move threads without a stack snapshot while no class of the transition's
     * methods is loaded: a method is on a stack only once its class is loaded, so then no stack
     * holds one (the case of a start-up patch, whose classes load after it). {@code scan}, the
     * operation's scan of the patch's classes, found none of them; it answers while it
     * {@link LoadedClasses#stillComplete still finds every class}, a new scan after that. Once one
     * is found loaded, every attempt takes the snapshot. Call before {@link #start()}.
     */
    public void skipSnapshotWhileUnloaded(LoadedClasses scan, Instrumentation inst, HookLedger ledger) {
        this.unloadedScan = scan;
        this.unloadedLedger = ledger;
        this.unloadedCheck = inst;
    }

    /**
     * Whether no class of the transition's methods is loaded now (see {@link #skipSnapshotWhileUnloaded}):
     * asked after the waiting threads' words were read, so that a thread that enters one of the
     * methods after this look passes its hook and its compare-and-set fails, as after a snapshot.
     */
    private boolean noMethodLoaded() {
        Instrumentation inst = unloadedCheck;
        if (inst == null || methodLoaded) {
            return false;
        }
        java.util.Set<String> names = methods.classNames();
        LoadedClasses kept = unloadedScan;
        // The last scan while it still finds every class of its names (and covers these), else a new one.
        LoadedClasses scan = LoadedClasses.covering(LoadedClasses.ifStillComplete(kept, unloadedLedger),
                inst, names);
        if (!scan.classes().isEmpty()) {
            methodLoaded = true;
            unloadedScan = null;
            return false;
        }
        unloadedScan = scan;
        return true;
    }

    /** Lets threads move; call once every call site routes by this transition. */
    public void start() {
        started = true;
    }

    public String patchName() {
        return patchName;
    }

    public boolean targetPatched() {
        return targetPatched;
    }

    public boolean forced() {
        return forced;
    }

    /** The word of {@code t}, made with its first state if the transition has not met it yet. */
    private AtomicLong known(Thread t) {
        AtomicLong word = states.get(t);
        if (word == null) {
            // get/putIfAbsent, not computeIfAbsent: a lambda would be one more class (issue 10)
            AtomicLong first = firstState(t);
            word = states.putIfAbsent(t, first);
            if (word == null) {
                word = first;
            }
        }
        return word;
    }

    private AtomicLong firstState(Thread t) {
        return new AtomicLong(firstPatched(t) ? PATCHED : 0);
    }

    /** The state a thread not seen yet starts in: a virtual thread's is the one before the transition. */
    private boolean firstPatched(Thread t) {
        return Threads.isVirtual(t) ? initialPatched : targetPatched;
    }

    @Override
    public MethodHandle passHook() {
        return passHook;
    }

    @Override
    public MethodHandle inPatchedState() {
        return inPatchedState;
    }

    @Override
    public MethodHandle side(boolean patchedSide, boolean unpatchedSide) {
        int i = (patchedSide ? 2 : 0) | (unpatchedSide ? 1 : 0);
        MethodHandle s = sides[i];
        if (s == null) {
            s = MethodHandles.guardWithTest(passHook, patchedSide ? TRUE : FALSE, unpatchedSide ? TRUE : FALSE);
            sides[i] = s;
        }
        return s;
    }

    @Override
    public MethodHandle guard(MethodHandle outside, boolean patchedSide, boolean unpatchedSide) {
        if (guardsOutside != outside) {
            java.util.Arrays.fill(guards, null); // another recursion guard: build again
            guardsOutside = outside;
        }
        int i = (patchedSide ? 2 : 0) | (unpatchedSide ? 1 : 0);
        MethodHandle g = guards[i];
        if (g == null) {
            g = MethodHandles.guardWithTest(outside, side(patchedSide, unpatchedSide), FALSE);
            guards[i] = g;
        }
        return g;
    }

    /*
     * Both run on application threads from a hook, on every call of a transition's method. The
     * common case, a thread already known (and, for passHook, already in the target state), reads
     * its word from the states map and touches nothing a patch can hook (ConcurrentHashMap,
     * AtomicLong, Thread: refused as targets), so it needs no recursion mark, which costs two
     * atomic updates of the marked-thread table a call. Everything else (a thread met for the
     * first time, a thread that may move itself: the stack walk's streams and collections) runs
     * marked, so that every hook met there runs the original method instead of coming back (pairs
     * with RecursionGuard's check first in every hook's guard).
     */
    @SuppressWarnings("unused") // through PASS_HOOK
    private boolean passHookImpl() {
        AtomicLong word = states.get(Thread.currentThread());
        if (word != null) {
            // Counted in the target state too, though the worker moves only threads outside it: a
            // worker pass runs without klpMutex, so a reversal can flip the target between the
            // pass's read of the target and its compare-and-set; a thread that entered a method on
            // the new target's side uncounted would then be moved to the other side while inside it.
            long w = word.addAndGet(PASS);
            if (((w & PATCHED) != 0) == targetPatched || !started) {
                return (w & PATCHED) != 0; // nothing to move
            }
            return passHookMarked(word, w);
        }
        return passHookMarked(null, 0);
    }

    private boolean passHookMarked(AtomicLong counted, long w) {
        int mark = RecursionGuard.enter();
        try {
            AtomicLong word = counted;
            if (word == null) {
                word = known(Thread.currentThread());
                w = word.addAndGet(PASS);
            }
            return passHook0(word, w);
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    @SuppressWarnings("unused") // through IN_PATCHED
    private boolean inPatchedStateImpl() {
        AtomicLong word = states.get(Thread.currentThread());
        if (word != null) {
            return (word.get() & PATCHED) != 0;
        }
        int mark = RecursionGuard.enter();
        try {
            return (known(Thread.currentThread()).get() & PATCHED) != 0;
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    /** A pass of a hook by a thread whose counted word is {@code w}; moves it if its stack is clean. */
    private boolean passHook0(AtomicLong word, long w) {
        boolean target = targetPatched;
        if (((w & PATCHED) != 0) != target && started && ownStackIsClean()) {
            // Only this thread moves its own counter, so the CAS fails only if the worker moved it
            // meanwhile (to a state that is just as consistent: the stack is clean).
            if (word.compareAndSet(w, target ? w | PATCHED : w & ~PATCHED)) {
                // This may have been the last thread: let the worker look now rather than after
                // its back-off. Pairs with the park in TransitionWorker.
                Thread wk = worker;
                if (wk != null) {
                    LockSupport.unpark(wk);
                }
            }
        }
        return (word.get() & PATCHED) != 0;
    }

    /** Whether the calling thread's stack, below the frame running the hook, holds none of the methods. */
    private boolean ownStackIsClean() {
        // jlivepatch's walker: asking for one here, on the application's thread, was checked against its
        // permissions under a SecurityManager, and the refusal failed the application's call (ClassWalker).
        return io.jlivepatch.internal.ClassWalker.get().walk(frames -> {
            boolean hookFrameSkipped = false;
            for (StackWalker.StackFrame f : (Iterable<StackWalker.StackFrame>) frames::iterator) {
                String cls = f.getClassName();
                if (cls.startsWith("io.jlivepatch.")) {
                    continue; // this check itself
                }
                if (!hookFrameSkipped) {
                    hookFrameSkipped = true; // the method whose prologue runs this hook
                    continue;
                }
                if (methods.matches(cls, f.getMethodName(), f.getDescriptor())) {
                    return false;
                }
            }
            return true;
        });
    }

    /**
     * One pass of the worker (the kernel's {@code klp_try_complete_transition}): moves every waiting
     * thread whose stack snapshot holds none of the methods and that passed no hook meanwhile.
     *
     * @return whether every known thread is now in the target state
     */
    public boolean tryMoveAll() {
        if (!started) {
            return false;
        }
        boolean target = targetPatched;
        Map<Thread, Long> before = new HashMap<>();
        for (java.util.Iterator<Map.Entry<Thread, AtomicLong>> i = states.entrySet().iterator(); i.hasNext(); ) {
            Map.Entry<Thread, AtomicLong> e = i.next();
            if (e.getKey().getState() == Thread.State.TERMINATED) {
                // Forgotten in whatever state: a transition held open while a server starts a thread per
                // request met every one of them at a hook (a review counted 20,000 kept, and walked by
                // each pass). A thread that ended passes no hook again.
                i.remove();
                heldAt.remove(e.getKey());
                continue;
            }
            long w = e.getValue().get();
            if (((w & PATCHED) != 0) != target) {
                before.put(e.getKey(), w);
            }
        }
        if (before.isEmpty()) {
            return virtualThreadsClean();
        }
        // No stack can hold a method whose class is not loaded: no snapshot (a safepoint and every
        // thread's stack, milliseconds for each of a start-up's patches) is needed to move them all.
        boolean noneLoaded = noMethodLoaded();
        // One safepoint for all platform threads; virtual threads are not in it and are asked one by one.
        Map<Thread, StackTraceElement[]> stacks = noneLoaded ? Map.of() : Thread.getAllStackTraces();
        boolean all = true;
        for (Map.Entry<Thread, Long> e : before.entrySet()) {
            Thread t = e.getKey();
            if (t.getState() == Thread.State.TERMINATED) {
                states.remove(t); // threads that end are forgotten
                heldAt.remove(t);
                continue;
            }
            String[] held = null;
            if (!noneLoaded) {
                StackTraceElement[] stack = stacks.get(t);
                if (stack == null) {
                    stack = t.getStackTrace();
                }
                held = heldBy(stack);
            }
            long w = e.getValue();
            if (held == null && states.get(t).compareAndSet(w, target ? w | PATCHED : w & ~PATCHED)) {
                heldAt.remove(t);
            } else {
                if (held != null) {
                    heldAt.put(t, held);
                }
                all = false;
            }
        }
        return all && allInTarget() && virtualThreadsClean();
    }

    /**
     * Once every thread the transition knows is in the target state: whether no virtual thread it
     * has not met holds one of the methods. Such a thread entered the method before the transition
     * began, on the side before it (its first state, see the class comment), and passed no hook
     * since; neither the worker's snapshot nor a thread group lists it, so the JDK's thread dump is
     * read ({@link VirtualThreadStacks}), only while a carrier thread shows that virtual threads run.
     * A thread that leaves the method passes no hook, so the worker's retries look again. If no dump
     * can be taken, the transition ends as before this check, and a warning says so once.
     */
    private boolean virtualThreadsClean() {
        if (targetPatched == initialPatched) {
            virtualWaiters = List.of(); // reversed: a thread not met is in the target state already
            return true;
        }
        List<Thread> live = Threads.live();
        if (!Threads.mayHaveVirtualThreads(live)) {
            virtualWaiters = List.of();
            return true;
        }
        long now = System.nanoTime();
        if (!virtualWaiters.isEmpty() && now - nextVirtualLook < 0) {
            return false; // held at the last look, which was recent: see VIRTUAL_LOOK_SHARE
        }
        java.util.Set<Long> known = new java.util.HashSet<>();
        for (Thread t : live) {
            known.add(t.getId()); // platform threads: the worker's snapshot has them, or they started later
        }
        for (Thread t : states.keySet()) {
            known.add(t.getId()); // virtual threads met at a hook: the worker checks them from their state
        }
        List<VirtualThreadStacks.Dumped> dumped;
        int mark = RecursionGuard.enter(); // the JDK's code the dump runs meets the hooks of this very transition
        try {
            dumped = VirtualThreadStacks.dump(known);
        } catch (java.io.IOException | RuntimeException | LinkageError e) {
            if (!VIRTUAL_UNCHECKED_WARNED.getAndSet(true)) {
                io.jlivepatch.internal.Log.get().log(System.Logger.Level.WARNING, "''{0}'': virtual threads cannot"
                        + " be checked ({1}): a virtual thread inside one of a patch's old methods when its transition"
                        + " ends may call the new versions of its other methods (logged once)", patchName,
                        e.getMessage());
            }
            virtualWaiters = List.of();
            return true;
        } finally {
            RecursionGuard.exit(mark);
        }
        String track = System.getProperty("jdk.trackAllThreads"); // read as the JDK reads it (ThreadContainers)
        if (track != null && !track.isEmpty() && !Boolean.parseBoolean(track)
                && !VIRTUAL_UNTRACKED_WARNED.getAndSet(true)) {
            io.jlivepatch.internal.Log.get().log(System.Logger.Level.WARNING, "''{0}'': the JDK's thread dump leaves"
                    + " out virtual threads started outside a thread pool (-Djdk.trackAllThreads=false): one of them"
                    + " inside one of a patch's old methods when its transition ends may call the new versions of"
                    + " its other methods (logged once)", patchName);
        }
        long took = System.nanoTime() - now;
        nextVirtualLook = System.nanoTime() + Math.max(took * VIRTUAL_LOOK_SHARE, MIN_VIRTUAL_LOOK_GAP_NANOS);
        // Platform threads started, and threads met at a hook, between the look above and the dump:
        // not virtual threads the transition never met (a server that starts a thread per request
        // would otherwise hold the transition with each new one).
        for (Thread t : Threads.live()) {
            known.add(t.getId());
        }
        for (Thread t : states.keySet()) {
            known.add(t.getId());
        }
        List<Waiter> held = new ArrayList<>();
        boolean holds = false;
        for (VirtualThreadStacks.Dumped d : dumped) {
            if (known.contains(d.tid())) {
                continue;
            }
            List<String[]> frames = d.frames();
            for (int i = 0; i < frames.size(); i++) {
                String[] f = frames.get(i);
                if (methods.matches(f[0], f[1])) {
                    holds = true;
                    if (held.size() < MAX_VIRTUAL_WAITERS) {
                        held.add(new Waiter(d.name(), d.tid(), f[0] + "." + f[1], methods.inside(null, frames, i),
                                true)); // a thread of the dump no thread group lists
                    }
                    break;
                }
            }
        }
        virtualWaiters = List.copyOf(held);
        return !holds;
    }

    /**
     * The method of this transition, {@code class.method}, that holds the calling thread in the state
     * before it, or {@code null}: such a thread holds the transition itself until that method
     * returns (it would wait for its own end, PatchRegistry.awaitTransition). By the worker's own
     * test ({@link #heldBy}), which is what keeps the thread from moving while it waits. Marked
     * (RecursionGuard): the stack walk runs on an application thread.
     */
    public String heldByCaller() {
        String[] held = heldByCallerInside();
        return held == null ? null : held[0];
    }

    /**
     * {@link #heldByCaller} and what of a patch's code holds the calling thread inside that method
     * ({@link Waiter#inside}, {@code ""} when none): {@code {class.method, inside}}, or {@code null}.
     */
    public String[] heldByCallerInside() {
        Thread self = Thread.currentThread();
        AtomicLong word = states.get(self);
        boolean patched = word != null ? (word.get() & PATCHED) != 0 : firstPatched(self);
        if (patched == targetPatched) {
            return null;
        }
        int mark = RecursionGuard.enter();
        try {
            return heldBy(ownStack());
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    /**
     * The calling thread's frames with the hidden ones, as the worker's snapshot
     * ({@code Thread.getAllStackTraces}) has them: a {@code Livepatch-Nestmates} replacement and
     * {@code @Next}'s copy of the original code are hidden classes, which a {@code Throwable}'s trace leaves
     * out, and {@link PatchedMethods#inside} then named what the worker's look does not (the replacement
     * around the copy, say).
     */
    private static StackTraceElement[] ownStack() {
        return WITH_HIDDEN_FRAMES.walk(frames -> {
            List<StackTraceElement> out = new ArrayList<>();
            for (java.util.Iterator<StackWalker.StackFrame> i = frames.iterator(); i.hasNext(); ) {
                out.add(i.next().toStackTraceElement());
            }
            return out.toArray(new StackTraceElement[0]);
        });
    }

    /**
     * The method of this transition that holds a thread with {@code stack}, {@code class.method}, and
     * what of a patch's code holds it inside that method ({@link Waiter#inside}), or {@code null}.
     */
    private String[] heldBy(StackTraceElement[] stack) {
        for (int i = 0; i < stack.length; i++) {
            StackTraceElement e = stack[i];
            if (methods.matches(e.getClassName(), e.getMethodName())) {
                return new String[] {e.getClassName() + "." + e.getMethodName(), methods.inside(stack, null, i)};
            }
        }
        return null;
    }

    /** Whether every known thread is in the target state; threads that ended are ignored. */
    public boolean allInTarget() {
        boolean target = targetPatched;
        for (Map.Entry<Thread, AtomicLong> e : states.entrySet()) {
            if (((e.getValue().get() & PATCHED) != 0) != target && e.getKey().isAlive()) {
                return false;
            }
        }
        return true;
    }

    /** How many threads the transition holds a word for (tests). */
    int threadsKnown() {
        return states.size();
    }

    /**
     * The kernel's reversal: the target flips; threads not moved yet are now done, moved ones wait.
     * The registry's commit of a reversal, so nothing here may throw after the flip: clearing the
     * status's record can allocate (a counter cell of the map, under contention).
     */
    public void reverse() {
        targetPatched = !targetPatched;
        endFailure = null; // the other end's failure: the reversed transition has not tried to end yet
        try {
            heldAt.clear();
        } catch (VirtualMachineError e) {
            // Entries left are read only for threads still waiting, and each is rewritten or removed
            // at the worker's next look at that thread; the reversal stands.
        }
    }

    /**
     * The kernel's {@code force}: every thread is in the target state at once. A commit (there is no
     * way back), so what allocates comes first, the update (a lambda per word before) and the
     * iterator: out of memory then forces nothing, where it left the transition marked forced with
     * some threads moved and the force refused.
     */
    public void force() {
        java.util.function.LongUnaryOperator move = targetPatched ? v -> v | PATCHED : v -> v & ~PATCHED;
        java.util.Iterator<AtomicLong> words = states.values().iterator();
        forced = true;
        while (words.hasNext()) {
            words.next().updateAndGet(move);
        }
    }

    /**
     * A thread still waiting.
     *
     * @param method the patched method holding it, {@code class.method}, or {@code ""} when not seen yet
     * @param inside what holds it inside {@code method} when that is a patch's own code rather than the
     *               application's, e.g. {@code the static initializer of fix.C (patch 'P')}, or {@code ""}:
     *               the operator looks there, not at {@code method}
     * @param virtual whether it is a virtual thread (JDK 21+): said of a thread without a name
     */
    public record Waiter(String thread, long threadId, String method, String inside, boolean virtual) {

        public Waiter(String thread, long threadId, String method) {
            this(thread, threadId, method, "", false);
        }

        /**
         * {@code thread 'w-1' (id 42) in com.acme.X.f}, then {@code , inside ...} when a patch's code holds it.
         * A thread without a name, as a virtual thread is unless given one, is {@code an unnamed virtual thread
         * (id 33)} ({@code an unnamed thread} for a platform thread an application named {@code ""}): {@code
         * thread '' (id 33)} read as a name missing from the line.
         */
        @Override
        public String toString() {
            return who(thread, virtual) + " (id " + threadId + ")" + (method.isEmpty() ? "" : " in " + method)
                    + (inside.isEmpty() ? "" : ", inside " + inside);
        }

        private static String who(String thread, boolean virtual) {
            return thread.isEmpty() ? (virtual ? "an unnamed virtual thread" : "an unnamed thread")
                    : "thread '" + thread + "'";
        }

        /**
         * {@code t} as a line about it names it, {@code thread 'w-1'}, or, without a name, {@code an unnamed
         * virtual thread (id 33)}: the id then, which alone tells it from the others (awaitTransition's warning).
         */
        public static String caller(Thread t) {
            String name = t.getName();
            return name.isEmpty() ? who(name, Threads.isVirtual(t)) + " (id " + t.getId() + ")" : who(name, false);
        }
    }

    /** Records why the attempt to end this transition failed; the worker tries again. */
    public void endFailed(String why) {
        endFailure = why;
    }

    /** Why the last attempt to end this transition failed, or {@code null} (none failed, or it was reversed since). */
    public String endFailure() {
        return endFailure;
    }

    /** The threads still waiting and the patched method holding each. */
    public List<Waiter> waiters() {
        List<Waiter> out = new ArrayList<>();
        boolean target = targetPatched;
        for (Map.Entry<Thread, AtomicLong> e : states.entrySet()) {
            Thread t = e.getKey();
            if (((e.getValue().get() & PATCHED) != 0) != target && t.isAlive()) {
                String[] held = heldAt.get(t);
                boolean virtual = Threads.isVirtual(t);
                out.add(held == null ? new Waiter(t.getName(), t.getId(), "", "", virtual)
                        : new Waiter(t.getName(), t.getId(), held[0], held[1], virtual));
            }
        }
        out.addAll(virtualWaiters);
        return out;
    }

    /**
     * {@link #waiters()} as text, e.g. {@code thread 'worker-1' (id 42) in com.acme.X.f}, or {@code thread
     * 'worker-1' (id 42) in com.acme.X.f, inside the replacement fix.C.f (patch 'P')}.
     */
    public List<String> waiting() {
        List<String> out = new ArrayList<>();
        for (Waiter w : waiters()) {
            out.add(w.toString());
        }
        return out;
    }
}
