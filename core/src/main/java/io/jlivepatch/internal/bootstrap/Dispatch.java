package io.jlivepatch.internal.bootstrap;

import java.lang.invoke.CallSite;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.MutableCallSite;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.BiPredicate;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * The dispatch points of hooked methods: the bootstrap method of the prologue's two
 * {@code invokedynamic} instructions and the registry of their call sites.
 *
 * <p>This class is loaded from the bootstrap class path only, so that a hooked class of any class
 * loader, the JDK's own included, resolves the same copy. Core never names it: it reaches it
 * through {@link #calls()}, as the JDK's functional interfaces, and passes only JDK types, because
 * the application class loader would otherwise define a second copy.
 *
 * <p>Per hooked method there are two {@link MutableCallSite}s: {@code guard()Z}, constant true while
 * a patch replaces the method, and {@code call(receiver, args...)R}, the replacement. Both are kept
 * in a registry keyed by (class, method) because a site is linked lazily, on its first execution:
 * relinking must go through the registry, never through whatever a bootstrap returned last.
 */
public final class Dispatch {

    private static final MethodHandle FALSE = MethodHandles.constant(boolean.class, false);

    /**
     * Serializes site creation (bootstrap), relinking and forgetting, so that a site created
     * concurrently with a relink is either seen by the relink or resolved after it. Pairs with
     * itself only. Whoever holds it must not wait for a class loader's lock, as an application thread
     * that holds one may need this lock (a first call of a hooked method while it loads a class): the
     * types of a hooked class's signatures are loaded before it is taken (SignatureTypes). What a
     * resolution may still load under it, taking the patch's PatchClasses monitor and class loader
     * locks, is a patch class for a class loader met for the first time (JarReplacementSource ->
     * PatchClasses.classFor) and a copy of original code for {@code @Next} (OriginalCopies); and a
     * nested bootstrap's class is reflected on under it. Those remain (README Known limits).
     */
    private static final Object LINK_LOCK = new Object();

    private static final ClassValue<Map<String, Sites>> SITES = new ClassValue<>() {
        @Override
        protected Map<String, Sites> computeValue(Class<?> type) {
            return new ConcurrentHashMap<>();
        }
    };

    private static final SignatureTypes SIGNATURE_TYPES = new SignatureTypes();

    /**
     * Has the types named in a hooked class's method signatures loaded, once per class, by a
     * bootstrap before it takes LINK_LOCK. The resolver reflects on the class's methods under that
     * lock, and reflecting loads those types through the class's loader, which takes the loader's
     * lock for each name: a thread that held such a lock (it was loading one of those types) and
     * met a hooked method not linked yet waited for LINK_LOCK while the resolving thread waited for
     * its loader lock, for ever (a review's deadlock, with a parallel-capable loader). Loaded here,
     * without LINK_LOCK, the resolving thread waits for the loader as any thread does, and the
     * reflection under the lock finds every type loaded. A class's signatures do not change when it
     * is retransformed, so once per class is enough; the value is all a class keeps of it.
     */
    private static final class SignatureTypes extends ClassValue<Boolean> {
        @Override
        protected Boolean computeValue(Class<?> type) {
            try {
                type.getDeclaredMethods();
            } catch (Throwable t) {
                // a type that cannot be loaded: the resolver meets it again under the lock and says so
            }
            return Boolean.TRUE;
        }
    }

    // Written under LINK_LOCK. Weak: a hooked class must stay collectable. Copy-on-write because a
    // relink's resolution can link a site of another hooked method (a nested bootstrap, same thread,
    // same lock) while the relink iterates.
    private static final List<WeakReference<Class<?>>> LINKED = new CopyOnWriteArrayList<>();

    /**
     * Sites created by a nested bootstrap (see {@link #bootstrap}), resolved by the outermost link
     * or relink of the same thread before it releases LINK_LOCK: no other thread ever sees them
     * unresolved, but for one whose resolution met a shortage of stack or memory, which stays queued
     * (guard false: the original code) until the next link or relink resolves it. Written and
     * drained under LINK_LOCK.
     */
    private static final ConcurrentLinkedQueue<Sites> PENDING = new ConcurrentLinkedQueue<>();

    // Written once by install(); read by bootstrap and relink under LINK_LOCK.
    private static volatile BiFunction<Class<?>, String, MethodHandle[]> resolver;

    /**
     * The sites whose resolution runs now, on the thread that holds LINK_LOCK, or {@code null}: for the
     * resolver to ask whether it relinks a site that runs a patch ({@link #relinking}). Written and read
     * under LINK_LOCK only.
     */
    private static Sites resolving;

    private Dispatch() {
    }

    /**
     * Sets the resolver: for a hooked class and a method key ({@code name + descriptor}) it returns
     * {@code {guard, call}}: the guard as a {@code ()boolean} handle (a constant in steady state, a
     * per-thread check during a transition) and the call typed exactly as the call site, or
     * {@code null} to keep the last call target; or {@code null} altogether when no patch is active.
     *
     * @return false when a resolver is already installed (another copy of jlivepatch owns the JVM)
     */
    public static boolean install(BiFunction<Class<?>, String, MethodHandle[]> r) {
        synchronized (LINK_LOCK) {
            if (resolver != null) {
                return resolver == r;
            }
            resolver = r;
        }
        warmUp();
        return true;
    }

    private static final String WARM_UP_KEY = "warmUp0()Z";

    /**
     * Links one site of this class's own, end to end, and forgets it: everything a bootstrap runs is
     * then loaded and linked. The first hook of a JDK class may be linked while that thread is in
     * the middle of loading a class that the transformer sees; loading one of the bootstrap's own
     * classes there would be a class circularity.
     */
    private static void warmUp() {
        MethodHandles.Lookup self = MethodHandles.lookup();
        try {
            bootstrap(self, "guard", MethodType.methodType(boolean.class), WARM_UP_KEY);
            bootstrap(self, "call", MethodType.methodType(boolean.class), WARM_UP_KEY);
            relinkAll();
        } finally {
            forget(Dispatch.class, WARM_UP_KEY);
        }
    }

    @SuppressWarnings("unused") // the warm-up's site
    private static boolean warmUp0() {
        return false;
    }

    /**
     * Bootstrap method of the prologue: {@code name} is {@code guard} or {@code call}.
     *
     * <p>Resolving a site runs jlivepatch's code (the resolver), which may execute a hooked JDK
     * method whose site is not linked yet: the JVM then calls this bootstrap again, on the same
     * thread, from inside the first one. Resolving that nested site would recurse for ever (the
     * kernel's ftrace recursion), so a nested bootstrap registers its site unresolved (guard false:
     * the original code, which a thread inside jlivepatch runs anyway) and the outer one resolves it
     * before releasing the lock.
     */
    public static Object bootstrap(MethodHandles.Lookup caller, String name, MethodType type, Object key) {
        // Typed as the JDK invokes a bootstrap with one static argument (see PrologueInjector.BOOTSTRAP).
        String methodKey = (String) key;
        Class<?> owner = caller.lookupClass();
        int mark = Recursion.enter();
        try {
            boolean nested = Thread.holdsLock(LINK_LOCK);
            if (!nested) {
                SIGNATURE_TYPES.get(owner); // before the lock: see SignatureTypes
            }
            synchronized (LINK_LOCK) {
                Map<String, Sites> perClass = SITES.get(owner);
                Sites sites = perClass.get(methodKey);
                if (sites == null) {
                    if (perClass.isEmpty()) {
                        LINKED.add(new WeakReference<>(owner));
                    }
                    sites = new Sites(owner, methodKey);
                    perClass.put(methodKey, sites);
                }
                if (nested && !sites.resolved && !sites.queued) {
                    // Queued whenever a nested link finds it unresolved, not only when it made it: the
                    // JVM binds this site to what it returns for good, so a site whose own first link
                    // ran out of stack (below), or whose queuing did after the put, would otherwise
                    // run the original code until the next change relinks every site. Marked before
                    // the add: the queue's first add links JDK code (a VarHandle's access mode) that
                    // may meet this very method again, nested, which must then return at once.
                    sites.queued = true;
                    try {
                        PENDING.add(sites);
                    } catch (Throwable t) {
                        sites.queued = false; // not queued: the next nested link queues it
                        throw t;
                    }
                }
                if (!nested && !sites.resolved) {
                    // A first link: resolve returns a shortage or nothing (relinking() says false).
                    VirtualMachineError e = (VirtualMachineError) sites.resolve(null);
                    if (e != null) {
                        // The first call came at the edge of its thread's stack, or when the heap or
                        // metaspace had no room for the link: linked now, the site would run the
                        // original code for good (no later call bootstraps it again), while status
                        // says patched. Thrown as it is, the JVM does not record it (only a
                        // LinkageError), and the site's next execution comes here again. The call
                        // gets what the JVM's own linking of it would have thrown a moment later.
                        throw e;
                    }
                }
                if (!nested) {
                    VirtualMachineError e = resolvePending(null);
                    if (e != null) {
                        // A nested site's resolution ran out of stack or memory. The JVM linked that
                        // site to what its bootstrap returned and never bootstraps it again: dropped
                        // from the queue, it ran the original code until the next change relinked every
                        // site. It stays queued; thrown, as above, this site's next execution comes
                        // here again and resolves it.
                        throw e;
                    }
                }
                if ("guard".equals(name)) {
                    return sites.guard;
                }
                return sites.call(caller, type);
            }
        } finally {
            Recursion.exit(mark);
        }
    }

    /**
     * Resolves the sites nested links created. A site whose resolution meets a shortage of stack or
     * memory stays queued, for the next link or relink, and the shortage is returned; taken off the
     * queue only once resolved (an overflow between the two resolves it once more, harmlessly), by
     * identity rather than as the head, should a resolution ever drain the queue itself (a relink of
     * the same thread). Caller holds LINK_LOCK, which every taker from the queue holds.
     */
    private static VirtualMachineError resolvePending(List<MutableCallSite> changed) {
        Sites s;
        while ((s = PENDING.peek()) != null) {
            Throwable t = s.resolve(changed); // may queue more: each site is created once, so this ends
            if (shortage(t)) {
                return (VirtualMachineError) t;
            }
            // Else resolved, or a site that runs a patch whose relink failed otherwise: it keeps the
            // version it runs (resolve), as the change that queued it, undone since, says; the next
            // relink of its route links it again. Not thrown: a first call of another method must not fail.
            PENDING.remove(s);
            s.queued = false;
        }
        return null;
    }

    /**
     * Bootstrap of a {@code super} call in code that {@code jlivepatch build} moved out of its class
     * into a hidden nestmate: {@code invokespecial} is not allowed there, so the call is resolved once,
     * here, with the host's own lookup, as {@code findSpecial(owner, name, type, host)}.
     *
     * @param type  the call's type, receiver (the host) first
     * @param owner the class or interface whose implementation the {@code super} call runs
     * @param host  the class whose method was patched
     */
    public static CallSite invokeSpecial(MethodHandles.Lookup caller, String name, MethodType type, Class<?> owner,
                                         Class<?> host) throws ReflectiveOperationException {
        MethodHandles.Lookup hostLookup = MethodHandles.privateLookupIn(host, caller);
        MethodHandle special = hostLookup.findSpecial(owner, name, type.dropParameterTypes(0, 1), host);
        return new java.lang.invoke.ConstantCallSite(special.asType(type));
    }

    /**
     * Bootstrap of a member access in code that {@code jlivepatch build} moved into a hidden
     * nestmate, where the member is inherited by the host (a protected member of a superclass in
     * another package, say): resolved once with the host's lookup, which the original code had.
     *
     * @param opcode the original instruction: {@code invokevirtual}, {@code invokeinterface},
     *               {@code invokestatic}, {@code getfield}, {@code putfield}, {@code getstatic}, {@code putstatic}
     */
    public static CallSite member(MethodHandles.Lookup caller, String name, MethodType type, int opcode,
                                  Class<?> owner, Class<?> host) throws ReflectiveOperationException {
        MethodHandles.Lookup l = MethodHandles.privateLookupIn(host, caller);
        MethodHandle h;
        switch (opcode) {
            case 182: case 185: // invokevirtual, invokeinterface
                h = l.findVirtual(owner, name, type.dropParameterTypes(0, 1));
                break;
            case 184: // invokestatic
                h = l.findStatic(owner, name, type);
                break;
            case 180: // getfield
                h = l.findGetter(owner, name, type.returnType());
                break;
            case 181: // putfield
                h = l.findSetter(owner, name, type.parameterType(1));
                break;
            case 178: // getstatic
                h = l.findStaticGetter(owner, name, type.returnType());
                break;
            case 179: // putstatic
                h = l.findStaticSetter(owner, name, type.parameterType(0));
                break;
            default:
                throw new IllegalArgumentException("opcode " + opcode);
        }
        return new java.lang.invoke.ConstantCallSite(h.asType(type));
    }

    /**
     * {@code LambdaMetafactory.metafactory} for a lambda whose body {@code jlivepatch build} carried
     * into a hidden nestmate. Before JDK 23 (JDK-8330467) the lambda proxy names its implementation
     * class, which a hidden class has none of; there the lambda is a
     * {@code MethodHandleProxies} instance instead: same behaviour, slower calls.
     */
    public static CallSite lambda(MethodHandles.Lookup caller, String name, MethodType factoryType,
                                  MethodType samType, MethodHandle impl, MethodType instantiated)
            throws java.lang.invoke.LambdaConversionException {
        if (LMF_TAKES_HIDDEN_IMPL) {
            return java.lang.invoke.LambdaMetafactory.metafactory(caller, name, factoryType, samType, impl, instantiated);
        }
        return proxyFactory(factoryType, impl);
    }

    /** The same for {@code LambdaMetafactory.altMetafactory} (serializable or marker-interface lambdas). */
    public static CallSite altLambda(MethodHandles.Lookup caller, String name, MethodType factoryType, Object... args)
            throws java.lang.invoke.LambdaConversionException {
        if (LMF_TAKES_HIDDEN_IMPL) {
            return java.lang.invoke.LambdaMetafactory.altMetafactory(caller, name, factoryType, args);
        }
        return proxyFactory(factoryType, (MethodHandle) args[1]);
    }

    private static final boolean LMF_TAKES_HIDDEN_IMPL = Runtime.version().feature() >= 23;

    private static CallSite proxyFactory(MethodType factoryType, MethodHandle impl) {
        try {
            MethodHandle make = MethodHandles.lookup().findStatic(Dispatch.class, "proxy",
                    MethodType.methodType(Object.class, Class.class, MethodHandle.class, Object[].class));
            MethodHandle factory = MethodHandles.insertArguments(make, 0, factoryType.returnType(), impl)
                    .asCollector(Object[].class, factoryType.parameterCount()).asType(factoryType);
            return new java.lang.invoke.ConstantCallSite(factory);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Object proxy(Class<?> intf, MethodHandle impl, Object[] captured) {
        return java.lang.invoke.MethodHandleProxies.asInterfaceInstance(intf,
                MethodHandles.insertArguments(impl, 0, captured));
    }

    /** Re-resolves every linked site; call after a change the resolver cannot name per method. */
    public static void relinkAll() {
        relink(null);
    }

    /**
     * Re-resolves the linked sites of the methods {@code which} selects (class, method key), or every
     * linked site when it is {@code null}: after a change of the active replacements, only the
     * methods whose route changed need new targets, and relinking the others would cost a resolution
     * each and throw away the compiled code of their callers for nothing.
     *
     * @throws VirtualMachineError the {@link StackOverflowError} or {@link OutOfMemoryError} a site's
     *         resolution met, once every other site is relinked: that site keeps its targets and stays
     *         queued for the next link or relink
     * @throws IllegalStateException when the resolution of a site that ran a patch failed otherwise (its
     *         cause says how), once every other site is relinked: that site keeps its targets, so the
     *         method runs the version it ran, and the caller undoes the change or tries it again; not
     *         queued, so that no first call of another method meets that failure
     */
    public static void relink(BiPredicate<Class<?>, String> which) {
        VirtualMachineError shortage;
        IllegalStateException failed = null;
        int mark = Recursion.enter();
        try {
            synchronized (LINK_LOCK) {
                List<MutableCallSite> changed = new ArrayList<>();
                List<WeakReference<Class<?>>> dead = new ArrayList<>();
                for (WeakReference<Class<?>> ref : LINKED) {
                    Class<?> c = ref.get();
                    if (c == null) {
                        dead.add(ref);
                        continue;
                    }
                    for (Sites s : SITES.get(c).values()) {
                        if (which != null && !which.test(c, s.methodKey)) {
                            continue;
                        }
                        Throwable t = s.resolve(changed);
                        if (shortage(t)) {
                            // Out of stack or memory: the site keeps its targets (resolve) and is queued,
                            // so that the next link or relink resolves it; the retry below may already.
                            queue(s);
                        } else if (t != null && failed == null) {
                            // The site keeps its targets (resolve): the first such failure goes to the caller.
                            failed = new IllegalStateException("linking the hook of " + c.getName() + "."
                                    + s.methodKey + " failed (" + t + ")", t);
                        }
                    }
                }
                // A shortage leaves its site queued for the next link or relink, and goes to the caller:
                // the JVM never bootstraps a linked site again, so a relink that returned as if done
                // would leave the site on its old route while the change it serves says complete.
                shortage = resolvePending(changed);
                LINKED.removeAll(dead);
                if (!changed.isEmpty()) {
                    // Publishes the new targets to every thread, interpreted or compiled; pairs with
                    // the JVM's own reads of call-site targets.
                    MutableCallSite.syncAll(changed.toArray(new MutableCallSite[0]));
                }
            }
        } finally {
            Recursion.exit(mark);
        }
        if (shortage != null) {
            // The change's caller undoes it (an operation is refused with nothing changed) or tries
            // again (a transition's end), as for any failure of the change.
            throw shortage;
        }
        if (failed != null) {
            throw failed; // the same: the site keeps the version it ran, which the undone change says runs
        }
    }

    /**
     * Whether the resolution that runs now, on this thread, relinks a site that runs a patch (its guard
     * is not false): its resolver's failure then keeps the site's targets and goes to the relink's
     * caller ({@link #relink}), rather than sending the method to its own code, which neither the
     * change nor the state before it says runs. A first link, or a site that runs its own code
     * already, has nothing better to keep: the resolver reports its failure and the own code runs.
     */
    public static boolean relinking() {
        Sites s = resolving;
        return s != null && Thread.holdsLock(LINK_LOCK) && s.resolved && s.guard.getTarget() != FALSE;
    }

    /** Whether {@code t}, from a site's resolution, is a shortage of stack or memory (else a relink's failure). */
    private static boolean shortage(Throwable t) {
        return t instanceof StackOverflowError || t instanceof OutOfMemoryError;
    }

    /**
     * Queues {@code s} for the next link or relink ({@link #resolvePending}), unless it is queued.
     * Caller holds LINK_LOCK. Not queued when the queue finds no memory either: the shortage that led
     * here goes to the relink's caller all the same.
     */
    private static void queue(Sites s) {
        if (s.queued) {
            return;
        }
        s.queued = true;
        try {
            PENDING.add(s);
        } catch (Throwable t) {
            s.queued = false;
        }
    }

    /**
     * Drops the sites of a method whose hook has been removed. Threads still running the old,
     * hooked version keep their sites (and so the last replacement) through its constant pool.
     */
    public static void forget(Class<?> owner, String methodKey) {
        int mark = Recursion.enter();
        try {
            synchronized (LINK_LOCK) {
                Map<String, Sites> perClass = SITES.get(owner);
                Sites gone = perClass.remove(methodKey);
                if (gone != null) {
                    PENDING.remove(gone); // left queued by a shortage: a forgotten site is resolved no more
                    gone.release();
                }
                if (perClass.isEmpty()) {
                    // Over the list's snapshot, not removeIf with a lambda, which spins a class at the first
                    // patch (ClassInit.byName); LINKED is written only under LINK_LOCK, held here.
                    for (WeakReference<Class<?>> ref : LINKED) {
                        Class<?> linked = ref.get();
                        if (linked == null || linked == owner) {
                            LINKED.remove(ref);
                        }
                    }
                    dropIfEmpty(owner, perClass);
                }
            }
        } finally {
            Recursion.exit(mark);
        }
    }

    /**
     * {@link #install}, {@link #relinkAll()}, {@link #relink}, {@link #forget}, {@link #linkedMethods} and
     * {@link #relinking} as the JDK's functional interfaces: {@code Predicate<BiFunction<Class<?>, String,
     * MethodHandle[]>>}, {@code Runnable}, {@code Consumer<BiPredicate<Class<?>, String>>}, {@code
     * BiConsumer<Class<?>, String>}, {@code ToIntFunction<Class<?>>} and {@code BooleanSupplier}; for
     * jlivepatch's own class loader, which must not name this class. Plain interface calls, as {@code
     * Recursion.calls} says why: a method handle of each would cost the first patch the JDK's compiling of
     * its invocation, and each again after 127 calls.
     */
    public static Object calls() {
        return Calls.CALLS;
    }

    /** The one object of {@link #calls()}; a class, as {@code Recursion.Calls} says why. */
    private static final class Calls implements Predicate<BiFunction<Class<?>, String, MethodHandle[]>>, Runnable,
            Consumer<BiPredicate<Class<?>, String>>, BiConsumer<Class<?>, String>, ToIntFunction<Class<?>>,
            BooleanSupplier {
        static final Calls CALLS = new Calls();

        @Override
        public boolean test(BiFunction<Class<?>, String, MethodHandle[]> r) {
            return install(r);
        }

        @Override
        public void run() {
            relinkAll();
        }

        @Override
        public void accept(BiPredicate<Class<?>, String> which) {
            relink(which);
        }

        @Override
        public void accept(Class<?> owner, String methodKey) {
            forget(owner, methodKey);
        }

        @Override
        public int applyAsInt(Class<?> owner) {
            return linkedMethods(owner);
        }

        @Override
        public boolean getAsBoolean() {
            return relinking();
        }
    }

    /** Number of methods of {@code owner} whose sites are linked; for tests and status. */
    public static int linkedMethods(Class<?> owner) {
        synchronized (LINK_LOCK) {
            // ClassValue cannot be asked without computing: a class never hooked gets an empty map
            // here, which is dropped again at once.
            Map<String, Sites> perClass = SITES.get(owner);
            int n = perClass.size();
            dropIfEmpty(owner, perClass);
            return n;
        }
    }

    /**
     * Removes {@code owner}'s entry once it holds no site: an emptied map would otherwise stay
     * attached to the class for its whole life (a ClassValue's value lives as long as its class),
     * one per class ever hooked. The next bootstrap of that class computes a new one (and adds the
     * class to LINKED again, as it finds the map empty). Caller holds LINK_LOCK, which every reader
     * and writer of SITES takes, so no site can be added to the map being removed.
     */
    private static void dropIfEmpty(Class<?> owner, Map<String, Sites> perClass) {
        if (perClass.isEmpty()) {
            SITES.remove(owner);
        }
    }

    /** The two call sites of one hooked method. All fields guarded by LINK_LOCK. */
    private static final class Sites {
        private final Class<?> owner;
        private final String methodKey;
        private final MutableCallSite guard = new MutableCallSite(FALSE);
        private MutableCallSite call;
        private MethodHandle lastTarget;
        /** The hooked class's lookup, from the bootstrap of {@code call}: to link the method itself. */
        private MethodHandles.Lookup callLookup;

        Sites(Class<?> owner, String methodKey) {
            this.owner = owner;
            this.methodKey = methodKey;
        }

        MutableCallSite call(MethodHandles.Lookup caller, MethodType type) {
            if (call == null) {
                callLookup = caller;
                // Normally reached through a guard that said true, so lastTarget is set. A thread
                // that passed the guard just before the method's last patch went and its sites
                // were forgotten finds none: it runs the method itself, as it is now.
                MethodHandle t = lastTarget != null ? lastTarget.asType(type) : itself(caller, type);
                call = new MutableCallSite(t);
            }
            return call;
        }

        /**
         * The hook is gone from the class: no thread runs a replacement through these sites again.
         * They stay reachable from the constant pools of the class's earlier, hooked versions (which
         * the JVM keeps for a while after a redefinition), so they let go of the replacements and
         * thereby of the patch's classes and class loader: the guard says false, and a thread that
         * passed it just before runs the method as it is now.
         */
        void release() {
            List<MutableCallSite> changed = new ArrayList<>();
            if (guard.getTarget() != FALSE) {
                guard.setTarget(FALSE);
                changed.add(guard);
            }
            if (call != null && callLookup != null) {
                try {
                    call.setTarget(itself(callLookup, call.type()));
                    changed.add(call);
                } catch (RuntimeException e) {
                    // keep the last target: correct, only slower to be collected
                }
            }
            lastTarget = null;
            if (!changed.isEmpty()) {
                MutableCallSite.syncAll(changed.toArray(new MutableCallSite[0]));
            }
        }

        /** A direct, non-virtual handle on the hooked method, from its own class's lookup. */
        private MethodHandle itself(MethodHandles.Lookup caller, MethodType site) {
            // A method's name may hold '(' (legal in the JVM; Groovy writes def "a (b)"() so), and so may a
            // class name inside the descriptor: the descriptor starts at the first '(' whose rest is one.
            // The first is, but for such a name, so the common link parses once.
            MethodType own = null;
            int paren = methodKey.indexOf('(');
            while (own == null) {
                try {
                    own = MethodType.fromMethodDescriptorString(methodKey.substring(paren), owner.getClassLoader());
                } catch (IllegalArgumentException | TypeNotPresentException e) {
                    paren = methodKey.indexOf('(', paren + 1);
                    if (paren < 0) {
                        throw e;
                    }
                }
            }
            String name = methodKey.substring(0, paren);
            try {
                if (site.parameterCount() == own.parameterCount()) {
                    return caller.findStatic(owner, name, own).asType(site);
                }
                return caller.findSpecial(owner, name, own, owner).asType(site);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("jlivepatch: cannot link " + owner.getName() + "." + methodKey, e);
            }
        }

        /**
         * Whether a resolution of these sites has run to its end: a site whose bootstrap's resolution
         * ran out of stack or memory is resolved again by its next bootstrap (see {@link #bootstrap}).
         */
        boolean resolved;
        /**
         * Whether these sites are in {@link #PENDING}: a field, not the queue's {@code contains}, which
         * would run JDK code inside a link (see {@link #bootstrap}). Under LINK_LOCK.
         */
        boolean queued;

        /**
         * @return the {@link StackOverflowError} or {@link OutOfMemoryError} the resolution failed
         *         with: a shortage of the moment, which a later resolution may not meet; or the failure
         *         the resolver threw while it relinked a site that runs a patch ({@link #relinking}); the
         *         targets then stay as they were. Else {@code null}. Every other failure the resolver
         *         records itself as the method's (status shows it FAILED), and means "run the original",
         *         never "fail the call".
         */
        Throwable resolve(List<MutableCallSite> changed) {
            MethodHandle[] resolved;
            // Put back after: a resolution never runs inside another (a nested bootstrap only queues its
            // site), so this is null, but what relinking() reads must never outlive its resolution.
            Sites outer = resolving;
            resolving = this;
            try {
                resolved = resolver.apply(owner, methodKey);
            } catch (Throwable t) {
                if (shortage(t)) {
                    // Nothing resolved, so nothing known: the targets stay as they were (a first link's
                    // guard says false), which the change that asked for this resolution still holds
                    // to until its caller undoes it or tries again (relink). Set to false, a linked
                    // site ran its own code while every patch of it said PATCHED (RelinkShortageTest).
                    return t;
                }
                if (this.resolved && guard.getTarget() != FALSE) {
                    // The resolver's failure of a relink of a site that runs a patch (relinking() told it
                    // so): the targets stay as they were, the version the method runs, and the relink's
                    // caller undoes the change or tries it again. Sent to its own code instead, the
                    // method ran neither that version nor the change's while the change went through
                    // (RelinkFailureTest).
                    return t;
                }
                resolved = null;
            } finally {
                resolving = outer;
            }
            MethodHandle guardTarget = resolved == null ? FALSE : resolved[0];
            MethodHandle target = resolved == null ? null : resolved[1];
            if (target != null && target != lastTarget) { // the same handle: the call site has it already
                lastTarget = target;
                if (call != null) {
                    // Set before the guard can turn true, so a thread that sees the guard true
                    // finds this target (both published by the same syncAll).
                    call.setTarget(target.asType(call.type()));
                    if (changed != null) {
                        changed.add(call);
                    }
                }
            }
            // With no active patch the call target stays as it was: a thread that passed the guard
            // just before this relink still needs a working target.
            if (guard.getTarget() != guardTarget) {
                guard.setTarget(guardTarget);
                if (changed != null) {
                    changed.add(guard);
                }
            }
            this.resolved = true;
            return null;
        }
    }
}
