package io.jlivepatch.internal.patch;

import io.jlivepatch.internal.Log;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.ref.WeakReference;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * The resolver that {@code Dispatch} calls on every link and relink: the guard and the call of a
 * hooked method of a given class. In steady state the guard is a constant and the call is the
 * replacement itself, typed exactly as its call site, so the JIT inlines it; during a transition
 * both consult the calling thread's patch state. It is also where a replacement is checked against
 * a class that was defined after registration (in some other class loader, say): a misfit is
 * recorded as a failure and the method runs the version below it (its own code when none is).
 *
 * <p>A replacement with a {@code @Next} parameter gets the version below it bound into that
 * parameter ({@link Site}): the previous replacement of the same side of the route, or the original
 * code. The original is a copy of its code that bypasses the hook ({@link OriginalCopies}), or, for
 * code that cannot be copied, the method itself through a pass, which adds one check to the
 * method's guard ({@link OriginalPass}).
 */
final class ReplacementLinker implements BiFunction<Class<?>, String, MethodHandle[]> {


    /** Shared so that Dispatch sees an unchanged guard as the same handle and does not relink it. */
    static final MethodHandle TRUE = MethodHandles.constant(boolean.class, true);
    static final MethodHandle FALSE = MethodHandles.constant(boolean.class, false);

    /**
     * The class a hook's first call links with that no operation loads before it (its site), loaded,
     * not initialized, with the linker: the JVM reads jlivepatch's classes from its JAR at their first
     * use, and one overwritten in place since can no longer serve them, for good; a patched method
     * first called after that kept its own code, FAILED (README, "Upgrading jlivepatch while JVMs run
     * with it"; OverwrittenAgentJarIT). HookManager's relink thread likewise.
     */
    @SuppressWarnings("unused")
    private static final Class<?> LOADED_WITH_THE_LINKER = Site.class;

    private static final MethodHandle PASS_GATE;
    private static final MethodHandle PASS_CALLBACKS;
    private static final MethodHandle PASS_PATCH_CALLBACKS;

    static {
        try {
            PASS_GATE = MethodHandles.lookup().findVirtual(ReplacementLinker.class, "passGate",
                    MethodType.methodType(boolean.class, ClassInit.class));
            PASS_CALLBACKS = MethodHandles.lookup().findVirtual(ReplacementLinker.class, "passCallbacks",
                    MethodType.methodType(boolean.class, CallbackGate.class));
            PASS_PATCH_CALLBACKS = MethodHandles.lookup().findVirtual(ReplacementLinker.class, "passPatchCallbacks",
                    MethodType.methodType(boolean.class, Class.class, String.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Supplier<LinkTable> table;
    private final HookLedger ledger;
    /** Relinks every site from a thread of jlivepatch's own, once a patch class's initialization is settled. */
    private final Runnable relinkLater;

    /**
     * The callbacks of classes defined while their patch is enabled; set once by the registry after
     * installation, before any patch can be enabled (volatile: read by whichever thread links).
     */
    private volatile ClassCallbacks callbacks = ClassCallbacks.NONE;

    /**
     * The declared methods of the class linked last: a relink resolves every site of a class in a
     * row ({@code Dispatch.relink}), and {@code getDeclaredMethods} copies every method of the class
     * at each call, which made the look-up of the target most of a link in a change of 1000 methods
     * (BENCHMARKS.md section 2, session 23). Held weakly, so that it never keeps a class, or its
     * loader, alive. The links share these {@code Method}s: each only reads them (types, modifiers,
     * unreflected through a private lookup), none makes one accessible. Read and written under
     * Dispatch's link lock, which every call of {@link #apply} holds.
     */
    private WeakReference<Method[]> lastDeclared = new WeakReference<>(null);

    ReplacementLinker(Supplier<LinkTable> table, HookLedger ledger, Runnable relinkLater) {
        this.table = table;
        this.ledger = ledger;
        this.relinkLater = relinkLater;
    }

    void callbacks(ClassCallbacks callbacks) {
        this.callbacks = callbacks;
    }

    /**
     * Dispatch's {@code relinking}, set once at activation before the linker is installed (Dispatch's
     * install, under its link lock, publishes it to every link, which runs under that lock); never null
     * then. A field, not a class of its own for "never": each class jlivepatch defines counts at a JVM's
     * first load (issue 10, FootprintIT).
     */
    private java.util.function.BooleanSupplier relinking;

    void relinking(java.util.function.BooleanSupplier relinking) {
        this.relinking = relinking;
    }

    /**
     * Links on the application's thread (a hook's first call), whose frames are the application's:
     * under a SecurityManager (JDK 17 to 23) the checks of what linking does (a private lookup, a
     * patch class's declared members) would ask the application's permissions, so a replacement
     * failed to link, or a check's exception reached the patched method's caller at every call
     * (hostile trial: every request of the demo answered 403 once patched). jlivepatch's own
     * permissions (the agent JAR's, which the policy must grant) decide instead.
     */
    @Override
    public MethodHandle[] apply(Class<?> owner, String methodKey) {
        try {
            return linkWithOwnPermissions(owner, methodKey);
        } catch (RuntimeException | LinkageError | InternalError | UnknownError e) {
            // Not a misfit of one version, which link() finds and reports: the link itself failed (a
            // JDK internal error, say). A relink of a site that runs a patch keeps that version
            // instead: Dispatch keeps the site's targets and its caller undoes the change (refused,
            // nothing changed) or tries it again (a transition's end), so the method runs what status
            // says and no thread runs the own code in the middle of a patch's versions. A first link
            // (or a site on its own code already) has nothing to keep: Dispatch runs the original
            // then, and status must say so, as for a misfit, not PATCHED. A shortage of stack or memory
            // goes on to Dispatch, which has the call throw it and links at the next call instead.
            java.util.function.BooleanSupplier r = relinking;
            if (r != null && r.getAsBoolean()) {
                throw e;
            }
            failedWhole(owner, methodKey, e);
            return null;
        }
    }

    @SuppressWarnings("removal") // AccessController: only while a SecurityManager is set
    private MethodHandle[] linkWithOwnPermissions(Class<?> owner, String methodKey) {
        if (System.getSecurityManager() == null) {
            return linkHere(owner, methodKey);
        }
        return java.security.AccessController.doPrivileged(new java.security.PrivilegedAction<MethodHandle[]>() {
            @Override
            public MethodHandle[] run() {
                return linkHere(owner, methodKey);
            }
        });
    }

    private MethodHandle[] linkHere(Class<?> owner, String methodKey) {
        // Reads the table published by HookManager.apply (a volatile read); Dispatch calls this
        // under its link lock, so a relink that follows the publication sees the same table.
        Route route = table.get().route(owner.getName(), methodKey);
        if (route == null) {
            return null;
        }
        // Every guard asks first whether the thread runs jlivepatch's own code (RecursionGuard): such
        // a thread runs the original method, so no replacement runs on jlivepatch's behalf and a
        // patched JDK method that jlivepatch uses cannot loop back into it. One volatile read while
        // no thread is inside jlivepatch.
        MethodHandle outside = RecursionGuard.outside();
        List<String> failed = List.of();
        while (true) {
            if (route.any() == null) {
                // A held method, hooked for a transition only, or one whose every replacement failed
                // here during a transition: the hook lets the thread move itself on entry (it runs
                // none of the method's code yet), then always runs the original.
                return route.routing() == null ? null : new MethodHandle[] {
                    route.routing().guard(outside, false, false), null};
            }
            try {
                return link(owner, methodKey, route, outside, failed);
            } catch (Misfit m) {
                // The failing patch's version is left out of this method (here, in this loader): the
                // version below it runs, so a patch that does not fit never switches off the patches
                // under it, nor sends one side of a transition to code the other side does not run.
                String patch = m.function.patchName();
                // what takes its place: the version right below it (not the top, which may be above it)
                ActiveFunction runs = below(route.patched(), patch);
                if (runs == null) {
                    runs = below(route.unpatched(), patch);
                }
                route = new Route(without(route.unpatched(), patch), without(route.patched(), patch),
                        route.routing(), route.held());
                misfit(owner, methodKey, m.function, m.getMessage(), runs == null ? null : runs.patchName());
                List<String> more = new ArrayList<>(failed);
                more.add(patch);
                failed = more;
            }
        }
    }

    /** The version below {@code patch}'s in the chain from {@code f} down, or {@code null} (none, or the original). */
    private static ActiveFunction below(ActiveFunction f, String patch) {
        for (ActiveFunction v = f; v != null; v = v.below()) {
            if (v.patchName().equals(patch)) {
                return v.below();
            }
        }
        return null;
    }

    /** {@code f}'s chain without {@code patch}'s version: the rest of the chain, relinked over what is below it. */
    private static ActiveFunction without(ActiveFunction f, String patch) {
        if (f == null) {
            return null;
        }
        if (f.patchName().equals(patch)) {
            return f.below();
        }
        ActiveFunction below = without(f.below(), patch);
        return below == f.below() ? f : f.over(below);
    }

    /** Both sides of {@code route}, linked; a replacement that does not fit throws. */
    private MethodHandle[] link(Class<?> owner, String methodKey, Route route, MethodHandle outside,
                                List<String> failed) throws Misfit {
        Method target = Reflection.findDeclared(declared(owner), route.any().spec().name(),
                route.any().spec().descriptor());
        if (target == null) {
            throw new Misfit(route.any(), "the class does not declare the method");
        }
        MethodType type = Modifier.isStatic(target.getModifiers())
                ? MethodType.methodType(target.getReturnType(), target.getParameterTypes())
                : MethodType.methodType(target.getReturnType(), target.getParameterTypes()).insertParameterTypes(0, owner);
        // Each side is bound whole, its @Next chain included, so a call that entered one side runs
        // that side's versions all the way down: the side is chosen once per activation (the
        // guard and routedCall), never per level.
        ClassCallbacks cb = callbacks;
        Site site = new Site(owner, methodKey, target, type, cb, cb.pending(owner));
        MethodHandle[] unpatched = site.side(route.unpatched());
        MethodHandle[] patched = site.side(route.patched());
        ledger.linked(owner.getClassLoader(), owner.getName(), methodKey, standing(route, site, failed));
        MethodHandle[] linked = assemble(route, type, site, unpatched, patched, outside);
        if (linked != null && site.token != null) {
            // A version runs the original code through @Next and a pass: its hook lets that call through once.
            linked[0] = OriginalPass.guard(linked[0], site.token);
        }
        return linked;
    }

    /** {@code owner}'s declared methods; the last class's again while they are kept (see {@link #lastDeclared}). */
    private Method[] declared(Class<?> owner) {
        Method[] methods = lastDeclared.get();
        if (methods == null || methods.length == 0 || methods[0].getDeclaringClass() != owner) {
            methods = owner.getDeclaredMethods();
            lastDeclared = new WeakReference<>(methods);
        }
        return methods;
    }

    /**
     * The patches whose earlier failures in this method stand after this link: those that failed in
     * it, and those still in the route whose versions it did not reach (below a top without
     * {@code @Next}): a link that does not look at a version says nothing new about it, so a class
     * that failed before still shows FAILED under a patch enabled over it.
     */
    private static List<String> standing(Route route, Site site, List<String> failed) {
        List<String> keep = failed;
        for (ActiveFunction side : new ActiveFunction[] {route.unpatched(), route.patched()}) {
            for (ActiveFunction f = side; f != null; f = f.below()) {
                String name = f.patchName();
                if (!site.reached.contains(name) && !keep.contains(name)) {
                    if (keep == failed) {
                        keep = new ArrayList<>(failed); // copied only when a link leaves a version out
                    }
                    keep.add(name);
                }
            }
        }
        return keep;
    }

    /**
     * The guard and the call of a site from its two sides (each {@code {guard, call}}, see
     * {@link Site#side}). Without a gate the guard is a shared constant-shaped handle: {@code outside}
     * alone in steady state, so that the JIT inlines the top replacement; one per shape for all the
     * sites of a transition. With a gate, the callbacks' gate (if any) comes first, so that they run
     * before any initializer; during a transition the thread's pass is counted next (every entry
     * is, whatever runs then), and only then are the thread's side's gates tried.
     */
    private MethodHandle[] assemble(Route route, MethodType type, Site site, MethodHandle[] unpatched,
                                    MethodHandle[] patched, MethodHandle outside) {
        boolean gated = site.callbacksPending || !constant(unpatched[0]) || !constant(patched[0]);
        if (route.routing() == null) {
            if (patched[1] == null) {
                return null;
            }
            if (!gated) {
                return new MethodHandle[] {outside, patched[1]}; // steady state: the top, called directly
            }
            return new MethodHandle[] {MethodHandles.guardWithTest(outside, site.settled(patched[0]), FALSE), patched[1]};
        }
        MethodHandle call = routedCall(route, type, patched[1], unpatched[1]);
        if (!gated) {
            return new MethodHandle[] {route.routing().guard(outside, patched[1] != null, unpatched[1] != null), call};
        }
        MethodHandle side = MethodHandles.guardWithTest(route.routing().passHook(), patched[0], unpatched[0]);
        return new MethodHandle[] {MethodHandles.guardWithTest(outside, site.settled(side), FALSE), call};
    }

    private static boolean constant(MethodHandle guard) {
        return guard == TRUE || guard == FALSE;
    }

    /** The call of a site during a transition: the side of the calling thread's state. */
    private static MethodHandle routedCall(Route route, MethodType site, MethodHandle patched, MethodHandle unpatched) {
        if (patched != null && unpatched != null) {
            MethodHandle test = MethodHandles.dropArguments(route.routing().inPatchedState(), 0, site.parameterList());
            return MethodHandles.guardWithTest(test, patched, unpatched);
        }
        // Only one side has a replacement; the guard sends the other side to the original code.
        return patched != null ? patched : unpatched;
    }

    /**
     * The gate a hook passes while a patch class's initialization is not settled: initializes it
     * (once; the JVM makes concurrent callers wait), and once the outcome is known has every site
     * relinked, so that the gate goes (done) or the patch's version is left out of the method
     * (failed, reported). Settled, it is one volatile read: the call passes it again (see
     * {@link Site#side}) and takes the same way as the guard did.
     */
    @SuppressWarnings("unused") // through PASS_GATE
    private boolean passGate(ClassInit init) {
        boolean ready = init.ready();
        if (init.claimReport()) {
            // jlivepatch's code on an application thread (starting the relink thread): marked, as in
            // passCallbacks, so that a hooked method it meets runs the original (pairs with the guard's
            // RecursionGuard.outside).
            int mark = RecursionGuard.enter();
            try {
                relinkLater.run();
            } finally {
                RecursionGuard.exit(mark);
            }
        }
        return ready;
    }

    /**
     * The gate of a class whose callbacks are pending: runs them (the first caller; the others wait
     * for it). The first caller past the gate has every site relinked, so that the gate goes and a
     * refused patch's versions are left out of the class's methods. Until then each version's own
     * gate asks whether its patch may run here ({@link #passPatchCallbacks}): not refused, nothing
     * left to run. A call for which they could not run (ClassCallbacks.settle's false) goes on to
     * those gates all the same, unrelinked: they leave out the versions of the patches whose callbacks
     * are still to run (a callback comes before any of its patch's replacements), and the call runs the
     * topmost version left, or the class's own code. Before, it ran the class's own code whatever the
     * other patches were: a fix by a patch without callbacks for the class, on the same method, was
     * bypassed for that call (LateCallbackLockTest). The gate stays for the next call.
     */
    @SuppressWarnings("unused") // through PASS_CALLBACKS
    private boolean passCallbacks(CallbackGate gate) {
        // jlivepatch's code on an application thread: marked, so that the hooks it meets (and those
        // the callbacks meet) run the original methods (pairs with the guard's RecursionGuard.outside).
        int mark = RecursionGuard.enter();
        try {
            if (!settle(gate.owner)) {
                return true; // not relinked: the gate stays, and the versions' gates decide (see above)
            }
            if (gate.relinked.compareAndSet(false, true)) {
                relinkLater.run();
            }
            return true;
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    /**
     * Runs {@code owner}'s pending callbacks, on the application's thread: under a SecurityManager
     * with jlivepatch's own permissions for what it asks (the class's loader, the callbacks' methods),
     * as {@link #apply} links; else a prePatch failed for want of them, unrecorded, and the patch ran
     * without it (review).
     */
    @SuppressWarnings("removal") // AccessController: only while a SecurityManager is set
    private boolean settle(Class<?> owner) {
        if (System.getSecurityManager() == null) {
            return callbacks.settle(owner);
        }
        return java.security.AccessController.doPrivileged(new java.security.PrivilegedAction<Boolean>() {
            @Override
            public Boolean run() {
                return callbacks.settle(owner);
            }
        });
    }

    /**
     * Whether {@code patch}'s versions may run in {@code owner}: its prePatch did not refuse the class,
     * and it has no callback for it still to run (ClassCallbacks.mayRun). Asked by the guard and again by
     * the call: between the two, only another thread's run of the class's callbacks can change the
     * answer (false to true, or to a refusal), and the call then runs the version the callbacks have
     * just let run, or the one below.
     */
    @SuppressWarnings("unused") // through PASS_PATCH_CALLBACKS
    private boolean passPatchCallbacks(Class<?> owner, String patch) {
        int mark = RecursionGuard.enter(); // as in passCallbacks
        try {
            return callbacks.mayRun(patch, owner);
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    /** One linked site's callback gate: the class, and whether a caller has had the sites relinked. */
    private static final class CallbackGate {
        final Class<?> owner;
        final java.util.concurrent.atomic.AtomicBoolean relinked = new java.util.concurrent.atomic.AtomicBoolean();

        CallbackGate(Class<?> owner) {
            this.owner = owner;
        }
    }
    /**
     * {@code f}'s replacement in {@code owner}'s loader, checked against the target and typed as the
     * site, its {@code @Next} parameter (if any) still unbound; {@code reached} gets {@code f} once.
     */
    private static MethodHandle typed(Class<?> owner, Method target, MethodType site, ActiveFunction f,
                                      List<ActiveFunction> reached) throws Misfit {
        if (!reached.contains(f)) {
            reached.add(f);
        }
        MethodHandle replacement;
        try {
            replacement = f.source().handleFor(owner.getClassLoader());
            String misfit = SignatureCheck.misfit(owner, target, replacement.type(), f.next());
            if (misfit != null) {
                throw new Misfit(f, misfit);
            }
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            throw new Misfit(f, "the replacement cannot be linked in this class loader: " + e);
        }
        return f.next() ? replacement : replacement.asType(site);
    }

    /** A side with no replacement: the guard sends the call to the original code. */
    private static final MethodHandle[] NO_SIDE = {FALSE, null};

    /** The slots of one version of a gated side (Site.level). */
    private static final int GATE = 0;
    private static final int CALL = 1;
    private static final int GUARD = 2;
    private static final int TOP = 3;
    private static final int NEXT = 4;

    /** {@code guard} asked for its gates, then true whatever it says: a version that runs whatever runs below it. */
    private static MethodHandle asked(MethodHandle guard) {
        return constant(guard) ? TRUE : MethodHandles.guardWithTest(guard, TRUE, TRUE);
    }

    /**
     * The linking of one site: each side's versions, with the version below bound into each
     * {@code @Next} parameter ({@code insertArguments} makes it a constant of the call's target,
     * which the JIT inlines like the replacement itself), and the gates of the versions whose
     * callbacks or class initialization are not settled yet.
     */
    private final class Site {
        final Class<?> owner;
        final String methodKey;
        final Method target;
        final MethodType site;
        final ClassCallbacks cb;
        /** Whether the class's callbacks have not run yet (a class defined while their patch is enabled). */
        final boolean callbacksPending;
        /**
         * The original code (a copy, or the method with its pass), once a version's @Next reaches it;
         * shared by both sides.
         */
        MethodHandle original;
        /** The pass's token when the original code is reached through the method's own hook, else null. */
        OriginalPass.Token token;
        /** The hooked method itself ({@link #method()}): what @Next's pass and a gate with nothing below call. */
        private MethodHandle itself;
        /** The patches whose versions this link reached, on either side, fallbacks included. */
        final List<String> reached = new ArrayList<>(4);
        /**
         * The versions of the gated sides linked so far, by the chain from each down ({@link #level}):
         * both sides, and every version above, share what is below a version, whatever is left out
         * above it. Arrays indexed by GATE, CALL, GUARD, TOP and NEXT rather than a class of their own:
         * each class jlivepatch defines counts at a JVM's first load (issue 10, FootprintIT).
         */
        private java.util.Map<ActiveFunction, MethodHandle[]> levels;
        /** Whether a version's @Next found no original code to call (its module does not open it, say). */
        private boolean originalMissing;

        Site(Class<?> owner, String methodKey, Method target, MethodType site, ClassCallbacks cb,
             boolean callbacksPending) {
            this.owner = owner;
            this.methodKey = methodKey;
            this.target = target;
            this.site = site;
            this.cb = cb;
            this.callbacksPending = callbacksPending;
        }

        /** {@code guard}, after the class's pending callbacks have run (if it has any). */
        MethodHandle settled(MethodHandle guard) {
            return callbacksPending
                    ? MethodHandles.guardWithTest(PASS_CALLBACKS.bindTo(ReplacementLinker.this).bindTo(new CallbackGate(owner)),
                            guard, FALSE)
                    : guard;
        }

        /**
         * The side whose top is {@code top}: {@code {guard, call}}, where the guard, {@code ()boolean},
         * says whether the side runs a version for this call, and the call runs it ({@code {FALSE,
         * null}}: the original code). Settled, the guard is {@link #TRUE}. A version whose patch class
         * is not initialized yet (or whose class's callbacks have not run) has a gate: the first call
         * that reaches it initializes the class, and if that fails, the call runs the side without
         * that version, its own gates included, down to the original code only when nothing is
         * below it; however many gates fail, each is passed over ({@link #guard}, {@link #call}).
         * The call asks the same gates in the same order as the guard, which settled every one it
         * asked (a settled gate does not change), those below a version as its {@code @Next} calls
         * down: both take the same way, and a call never runs code the version below it would not
         * have run until the relink leaves the version out.
         */
        MethodHandle[] side(ActiveFunction top) throws Misfit {
            if (top == null) {
                return NO_SIDE;
            }
            List<ActiveFunction> reached = new ArrayList<>(2);
            MethodHandle call = link(top, reached);
            boolean gated = false;
            for (ActiveFunction f : reached) {
                gated |= gate(f) != null; // every one asked: the first that cannot run here throws
            }
            // reached once every version of the side can run here (a fallback's failure is not reported)
            for (ActiveFunction f : reached) {
                reach(f);
            }
            if (!gated) {
                return new MethodHandle[] {TRUE, call};
            }
            return new MethodHandle[] {guard(top), call(top, null)};
        }

        private void reach(ActiveFunction f) {
            if (!reached.contains(f.patchName())) {
                reached.add(f.patchName());
            }
        }

        /**
         * Whether some version of {@code chain} runs for this call: each version's gate, top first; one
         * that fails passes the question to the version below, as the side without the failing version
         * would (see {@link #call}). A version whose {@code @Next} calls down has the gates below asked
         * too, before it runs, as the call will ask them: a patch class below is initialized before any
         * version runs. Linear in the chain: each version's part is linked once ({@link #level}), where
         * the sides without one failing version or another, linked apiece, were 2^n for n gates (a
         * 16-patch {@code @Next} stack took seconds at its first call, under Dispatch's link lock).
         */
        private MethodHandle guard(ActiveFunction chain) {
            if (chain == null) {
                return FALSE;
            }
            MethodHandle[] l = level(chain);
            if (l[GUARD] == null) {
                if (l[CALL] == null) {
                    l[GUARD] = guard(chain.below()); // left out: what is below runs in its place
                } else {
                    MethodHandle runs = chain.next() ? asked(guard(chain.below())) : TRUE;
                    l[GUARD] = l[GATE] == null ? runs
                            : MethodHandles.guardWithTest(l[GATE], runs, guard(chain.below()));
                }
            }
            return l[GUARD];
        }

        /**
         * The call of {@code chain}: its top version if its gate passes, else the call of what is below,
         * so that a version calls through {@code @Next} whatever runs below it for this call, asked as
         * the guard asked. {@code asker} is null for the side's call, whose bottom (where no version runs)
         * is the method itself through its hook (see {@link #itself}); else it is the version whose
         * {@code @Next} calls {@code chain}, whose bottom is the original code. {@code null} where
         * nothing can be called.
         */
        private MethodHandle call(ActiveFunction chain, ActiveFunction asker) {
            if (chain == null) {
                // Where nothing is below, the guard sends the call to the original code. Within one
                // link the call then never gets there, but a thread may pass a guard of one link and
                // the call of the next (a relink between the two): the call's way there runs the
                // method again through its hook, whose guard is the current link's, rather than a
                // version whose class failed.
                return asker == null ? itself() : originalOrNull(asker);
            }
            MethodHandle[] l = level(chain);
            int slot = asker == null ? TOP : NEXT;
            if (l[slot] == null) {
                MethodHandle below = l[CALL] == null || l[GATE] != null ? call(chain.below(), asker) : null;
                l[slot] = l[CALL] == null ? below
                        : l[GATE] == null || below == null ? l[CALL] : MethodHandles.guardWithTest(l[GATE], l[CALL], below);
            }
            return l[slot];
        }

        /**
         * {@code chain}'s top version as the gated sides need it: its gate ({@code GATE}, null when it
         * has none), and its call ({@code CALL}, null when it is left out) with its {@code @Next} bound to
         * the call of what is below ({@link #call}); then, as they are asked, its {@link #guard}
         * ({@code GUARD}) and its {@link #call}s ({@code TOP}, {@code NEXT}). A version that cannot run
         * here (a class that failed, a prePatch that refused, a replacement that does not fit) is left
         * out, as the relink will leave it out, with nothing reported: nothing runs it unless a gate
         * above fails, and the relink that follows that gate's failure reports what is wrong.
         */
        private MethodHandle[] level(ActiveFunction chain) {
            if (levels == null) {
                levels = new java.util.HashMap<>(8);
            }
            MethodHandle[] l = levels.get(chain);
            if (l != null) {
                return l;
            }
            l = new MethodHandle[5];
            try {
                MethodHandle replacement = typed(owner, target, site, chain, new ArrayList<>(1));
                MethodHandle gate = gate(chain); // asked after the replacement is typed, as side() asks
                if (chain.next()) {
                    MethodHandle below = call(chain.below(), chain);
                    if (below == null) {
                        throw new Misfit(chain, "nothing below to call"); // no original code for its @Next
                    }
                    replacement = withNext(replacement, below);
                    if (originalMissing) {
                        // Its @Next must not reach the original code, which it cannot call: it runs
                        // only when some version below it does (as the side without the failing ones
                        // below would leave it out).
                        MethodHandle rest = guard(chain.below());
                        if (rest == FALSE) {
                            throw new Misfit(chain, "nothing below to call");
                        }
                        if (rest != TRUE) {
                            gate = gate == null ? rest : MethodHandles.guardWithTest(gate, rest, FALSE);
                        }
                    }
                }
                l[GATE] = gate;
                l[CALL] = replacement.asType(site);
                reach(chain);
            } catch (Misfit m) {
                l[GATE] = null;
                l[CALL] = null;
            }
            levels.put(chain, l);
            return l;
        }

        /** The original code for {@code f}'s {@code @Next}, or {@code null} when there is none to call. */
        private MethodHandle originalOrNull(ActiveFunction f) {
            if (!originalMissing) {
                try {
                    return original(f);
                } catch (Misfit m) {
                    originalMissing = true;
                }
            }
            return null;
        }

        /**
         * {@code f}'s gate, {@code ()boolean}, or {@code null} when it has none; throws when {@code f}
         * cannot run here at all (its prePatch refused the class, its class failed to initialize).
         */
        private MethodHandle gate(ActiveFunction f) throws Misfit {
            String refused = cb.failure(f.patchName(), owner);
            if (refused != null) {
                throw new Misfit(f, refused);
            }
            ClassInit init;
            try {
                init = f.source().initialization(owner.getClassLoader());
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                throw new Misfit(f, "the replacement cannot be linked in this class loader: " + e);
            }
            if (init != null && init.failure() != null) {
                throw new Misfit(f, init.failure());
            }
            // A patch class not initialized yet: the first call that gets this far initializes it (the
            // thread runs no jlivepatch code then, so the initializer's own calls are the application's).
            MethodHandle gate = init == null || init.isDone() ? null : PASS_GATE.bindTo(ReplacementLinker.this).bindTo(init);
            if (callbacksPending) {
                // checked before the initializer: a refused patch's class is never initialized for it
                MethodHandle allowed = MethodHandles.insertArguments(
                        PASS_PATCH_CALLBACKS.bindTo(ReplacementLinker.this), 0, owner, f.patchName());
                gate = gate == null ? allowed : MethodHandles.guardWithTest(allowed, gate, FALSE);
            }
            return gate;
        }

        /**
         * The hooked method itself, non-virtually, typed as the site, through its hook (a call of it
         * passes the guard again); {@code null} when its module does not open it to jlivepatch.
         */
        private MethodHandle itself() {
            if (SignatureCheck.unreachableOriginal(owner) != null) {
                return null;
            }
            try {
                return method();
            } catch (IllegalAccessException | RuntimeException e) {
                return null;
            }
        }

        /**
         * The hooked method, non-virtually (a subclass's override is not this method), typed as the
         * site, through a private lookup on its class; once per link.
         */
        private MethodHandle method() throws IllegalAccessException {
            if (itself == null) {
                MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(owner, MethodHandles.lookup());
                itself = (Modifier.isStatic(target.getModifiers()) ? lookup.unreflect(target)
                        : lookup.unreflectSpecial(target, owner)).asType(site);
            }
            return itself;
        }

        /** {@code f} typed as the site, its {@code @Next} (if any) bound to the chain below it. */
        MethodHandle link(ActiveFunction f, List<ActiveFunction> reached) throws Misfit {
            MethodHandle replacement = typed(owner, target, site, f, reached);
            if (f.next()) {
                replacement = withNext(replacement, f.below() == null ? original(f) : link(f.below(), reached));
            }
            return replacement.asType(site);
        }

        /** {@code replacement} with {@code below} bound into its {@code @Next} parameter. */
        private MethodHandle withNext(MethodHandle replacement, MethodHandle below) {
            MethodType nextType = SignatureCheck.withoutNext(replacement.type(), true);
            return MethodHandles.insertArguments(replacement, nextType.parameterCount(), below.asType(nextType));
        }

        /**
         * The method's original code for {@code @Next}. Preferably a copy of it that does not pass
         * through the hook ({@link OriginalCopies}): a direct call, which the JIT inlines like the
         * method itself. Else the method itself, non-virtually (a subclass's
         * override is not the version below), called with a one-shot pass through its own hook (see
         * {@link OriginalPass} for why a pass rather than the recursion guard). Reached through a
         * private lookup on the target class, which its module must open to jlivepatch: every class
         * of the class path does (unnamed modules open everything); registration refuses the others
         * (SignatureCheck.unreachableOriginal), a class defined later in such a module is a misfit here.
         * The hooked class's own lookup, which Dispatch's bootstrap gets, would reach JDK classes
         * too, but handing it over would change Dispatch's contract with every copy of core.
         */
        private MethodHandle original(ActiveFunction f) throws Misfit {
            if (original == null) {
                String unreachable = SignatureCheck.unreachableOriginal(owner);
                if (unreachable != null) {
                    throw new Misfit(f, unreachable);
                }
                MethodHandle copy = OriginalCopies.handle(owner, target, methodKey, relinkLater);
                if (copy != null) {
                    original = copy.asType(site);
                    return original;
                }
                MethodHandle itself;
                try {
                    itself = method();
                } catch (IllegalAccessException | RuntimeException e) {
                    throw new Misfit(f, "@Next cannot call the original code: " + e);
                }
                token = OriginalPass.token(owner, methodKey);
                original = OriginalPass.original(itself, token);
            }
            return original;
        }
    }

    /**
     * The misfits already logged, by patch, loader and method: a site is relinked at every change of
     * any patch, and the same misfit once is enough (status and the audit log keep it).
     */
    private final ReportedOnce misfitsLogged = new ReportedOnce();

    /**
     * Reports a link of {@code owner}'s method that failed whole ({@link #apply}): for every patch of
     * its route, as a misfit is, so that status shows FAILED with why and the audit log has it; the
     * method keeps its own code until the next change relinks it. Never throws.
     */
    private void failedWhole(Class<?> owner, String methodKey, Throwable e) {
        try {
            Route route = table.get().route(owner.getName(), methodKey);
            if (route == null) {
                return;
            }
            String why = "linking the hook failed (" + e + "); it links again at the next change of the patches";
            List<String> named = new ArrayList<>(2);
            for (ActiveFunction side : new ActiveFunction[] {route.unpatched(), route.patched()}) {
                for (ActiveFunction f = side; f != null; f = f.below()) {
                    if (!named.contains(f.patchName())) {
                        named.add(f.patchName());
                        misfit(owner, methodKey, f, why, null);
                    }
                }
            }
        } catch (RuntimeException | LinkageError | VirtualMachineError again) {
            // the method runs its own code all the same; the report is what could not be made
        }
    }

    /** Reports {@code f} not fitting here; {@code runs}: the patch whose version runs instead, or null (the original). */
    private void misfit(Class<?> owner, String methodKey, ActiveFunction f, String why, String runs) {
        if (misfitsLogged.first(f.patchName() + ' ' + LoaderNames.of(owner.getClassLoader()) + ' ' + owner.getName()
                + '.' + methodKey + ' ' + why + ' ' + runs)) {
            Log.get().log(System.Logger.Level.WARNING, "''{0}'': {1} in {2} {3}: {4}", f.patchName(), f.target(),
                    LoaderNames.of(owner.getClassLoader()), runs == null ? "keeps its own code"
                            : "runs the version of patch '" + runs + "' below it", why);
        }
        ledger.linkFailed(owner.getClassLoader(), owner.getName(), methodKey, f.patchName(), f.label(), why, runs);
    }

    /** A replacement that does not fit the class of one loader. */
    private static final class Misfit extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient ActiveFunction function;

        Misfit(ActiveFunction function, String message) {
            super(message, null, false, false);
            this.function = function;
        }
    }
}
