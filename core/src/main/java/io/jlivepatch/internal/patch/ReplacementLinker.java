package io.jlivepatch.internal.patch;

import io.jlivepatch.internal.Log;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
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
 * recorded as a failure and the method keeps its own code.
 *
 * <p>A replacement with a {@code @Next} parameter gets the version below it bound into that
 * parameter ({@link Chain}): the previous replacement of the same side of the route, or the original
 * code. The original is a copy of its code that bypasses the hook ({@link OriginalCopies}), or, for
 * code that cannot be copied, the method itself through a pass, which adds one check to the
 * method's guard ({@link OriginalPass}).
 */
final class ReplacementLinker implements BiFunction<Class<?>, String, MethodHandle[]> {


    /** Shared so that Dispatch sees an unchanged guard as the same handle and does not relink it. */
    static final MethodHandle TRUE = MethodHandles.constant(boolean.class, true);
    static final MethodHandle FALSE = MethodHandles.constant(boolean.class, false);

    private static final MethodHandle PASS_GATE;
    private static final MethodHandle PASS_CALLBACKS;

    static {
        try {
            PASS_GATE = MethodHandles.lookup().findVirtual(ReplacementLinker.class, "passGate",
                    MethodType.methodType(boolean.class, ClassInit.class));
            PASS_CALLBACKS = MethodHandles.lookup().findVirtual(ReplacementLinker.class, "passCallbacks",
                    MethodType.methodType(boolean.class, CallbackGate.class));
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

    ReplacementLinker(Supplier<LinkTable> table, HookLedger ledger, Runnable relinkLater) {
        this.table = table;
        this.ledger = ledger;
        this.relinkLater = relinkLater;
    }

    void callbacks(ClassCallbacks callbacks) {
        this.callbacks = callbacks;
    }

    @Override
    public MethodHandle[] apply(Class<?> owner, String methodKey) {
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
                route = new Route(without(route.unpatched(), patch), without(route.patched(), patch),
                        route.routing(), route.held());
                ActiveFunction runs = route.patched() != null ? route.patched() : route.unpatched();
                misfit(owner, methodKey, m.function, m.getMessage(), runs == null ? null : runs.patchName());
                List<String> more = new ArrayList<>(failed);
                more.add(patch);
                failed = more;
            }
        }
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
        Method target = Reflection.findDeclared(owner, route.any().spec().name(), route.any().spec().descriptor());
        if (target == null) {
            throw new Misfit(route.any(), "the class does not declare the method");
        }
        MethodType site = Modifier.isStatic(target.getModifiers())
                ? MethodType.methodType(target.getReturnType(), target.getParameterTypes())
                : MethodType.methodType(target.getReturnType(), target.getParameterTypes()).insertParameterTypes(0, owner);
        MethodHandle unpatched;
        MethodHandle patched;
        if (!withNext(route.unpatched()) && !withNext(route.patched())) {
            // No @Next on either side: each side is its one replacement (no Chain, whose class a
            // first load into an application then never defines: FootprintIT).
            List<ActiveFunction> reached = new ArrayList<>(2);
            unpatched = route.unpatched() == null ? null : typed(owner, target, site, route.unpatched(), reached);
            patched = route.patched() == null ? null : typed(owner, target, site, route.patched(), reached);
            return linkChecked(owner, methodKey, route, site, reached, unpatched, patched, outside, failed);
        }
        // Each side is bound whole, its @Next chain included, so a call that entered one side runs
        // that side's versions all the way down: the side is chosen once per activation (the
        // guard and routedCall below), never per level.
        Chain chain = new Chain(owner, methodKey, target, site, relinkLater);
        unpatched = route.unpatched() == null ? null : chain.link(route.unpatched());
        patched = route.patched() == null ? null : chain.link(route.patched());
        MethodHandle[] linked = linkChecked(owner, methodKey, route, site, chain.reached(), unpatched, patched, outside,
                failed);
        if (linked != null && chain.token != null) {
            // A version runs the original code through @Next and a pass: its hook lets that call through once.
            linked[0] = OriginalPass.guard(linked[0], chain.token);
        }
        return linked;
    }

    /**
     * The rest of {@link #apply} once both sides are linked: the callbacks' and initialization gates
     * of every replacement the sides can run ({@code reached}: the tops and what their @Next runs).
     */
    private MethodHandle[] linkChecked(Class<?> owner, String methodKey, Route route, MethodType site,
                                       List<ActiveFunction> reached, MethodHandle unpatched, MethodHandle patched,
                                       MethodHandle outside, List<String> failed) throws Misfit {
        ClassCallbacks cb = callbacks;
        for (ActiveFunction f : reached) {
            String refused = f == null ? null : cb.failure(f.patchName(), owner);
            if (refused != null) {
                throw new Misfit(f, refused);
            }
        }
        List<MethodHandle> gates = new ArrayList<>();
        if (cb.pending(owner)) {
            // A class defined while a patch with callbacks for it is enabled: its first call runs them
            // (never the transformer), before any replacement runs in it.
            String[] patches = {route.unpatched() == null ? null : route.unpatched().patchName(),
                route.patched() == null ? null : route.patched().patchName()};
            gates.add(PASS_CALLBACKS.bindTo(this).bindTo(new CallbackGate(owner, patches)));
        }
        for (ActiveFunction f : reached) {
            ClassInit init;
            try {
                init = f == null ? null : f.source().initialization(owner.getClassLoader());
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                throw new Misfit(f, "the replacement cannot be linked in this class loader: " + e);
            }
            if (init != null && init.failure() != null) {
                throw new Misfit(f, init.failure());
            }
            if (init != null && !init.isDone()) {
                gates.add(PASS_GATE.bindTo(this).bindTo(init));
            }
        }
        ledger.linked(owner.getClassLoader(), owner.getName(), methodKey, failed);
        if (route.routing() == null && gates.isEmpty()) {
            // steady state: the top replacement, called directly so that the JIT inlines it
            return patched == null ? null : new MethodHandle[] {outside, patched};
        }
        if (route.routing() == null && patched == null) {
            return null;
        }
        if (gates.isEmpty()) {
            // during a transition, no gate: one guard per shape for all the transition's sites
            MethodHandle guard = route.routing().guard(outside, patched != null, unpatched != null);
            return new MethodHandle[] {guard, routedCall(route, site, patched, unpatched)};
        }
        MethodHandle inner = route.routing() == null ? TRUE : route.routing().side(patched != null, unpatched != null);
        // A patch class not initialized yet: the first call that gets this far initializes it (the
        // thread runs no jlivepatch code then, so the initializer's own calls are the application's).
        // The callbacks' gate is added first, so it is the outermost: they run before the initializer.
        for (MethodHandle g : gates) {
            inner = MethodHandles.guardWithTest(g, inner, FALSE);
        }
        MethodHandle guard = MethodHandles.guardWithTest(outside, inner, FALSE);
        if (route.routing() == null) {
            return new MethodHandle[] {guard, patched};
        }
        return new MethodHandle[] {guard, routedCall(route, site, patched, unpatched)};
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
     * relinked, so that the gate goes (done) or the method keeps its own code (failed, reported).
     */
    @SuppressWarnings("unused") // through PASS_GATE
    private boolean passGate(ClassInit init) {
        boolean ready = init.ready();
        if (init.claimReport()) {
            relinkLater.run();
        }
        return ready;
    }

    /**
     * The gate of a class whose callbacks are pending: runs them (the first caller; the others wait
     * for it), then lets the call through unless a patch of this route was refused by its prePatch,
     * in which case this call runs the original code. The first caller past the gate has every site
     * relinked, so that the gate goes and a refused patch's methods keep their own code.
     */
    @SuppressWarnings("unused") // through PASS_CALLBACKS
    private boolean passCallbacks(CallbackGate gate) {
        // jlivepatch's code on an application thread: marked, so that the hooks it meets (and those
        // the callbacks meet) run the original methods (pairs with the guard's RecursionGuard.outside).
        int mark = RecursionGuard.enter();
        try {
            ClassCallbacks cb = callbacks;
            cb.settle(gate.owner);
            if (gate.relinked.compareAndSet(false, true)) {
                relinkLater.run();
            }
            for (String patch : gate.patches) {
                if (patch != null && cb.failure(patch, gate.owner) != null) {
                    return false;
                }
            }
            return true;
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    /** One linked site's callback gate: the class and the patches of its route. */
    private static final class CallbackGate {
        final Class<?> owner;
        final String[] patches;
        final java.util.concurrent.atomic.AtomicBoolean relinked = new java.util.concurrent.atomic.AtomicBoolean();

        CallbackGate(Class<?> owner, String[] patches) {
            this.owner = owner;
            this.patches = patches;
        }
    }

    private static boolean withNext(ActiveFunction f) {
        return f != null && f.next();
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

    /**
     * Links the replacements of one site, each with the version below bound into its {@code @Next}
     * parameter: {@code insertArguments} makes the version below a constant of the call's target,
     * which the JIT inlines like the replacement itself.
     */
    private static final class Chain {
        final Class<?> owner;
        final String methodKey;
        final Method target;
        final MethodType site;
        /** Every replacement linked, tops first, without repeats (both sides share what is below P). */
        final List<ActiveFunction> reached = new ArrayList<>();
        /** Relinks every site; what a copy's class file changing under it calls (OriginalCopies). */
        final Runnable relinkLater;
        /**
         * The original code (a copy, or the method with its pass), once a version's @Next reaches it;
         * shared by both sides.
         */
        MethodHandle original;
        /** The pass's token when the original code is reached through the method's own hook, else null. */
        OriginalPass.Token token;

        Chain(Class<?> owner, String methodKey, Method target, MethodType site, Runnable relinkLater) {
            this.owner = owner;
            this.methodKey = methodKey;
            this.target = target;
            this.site = site;
            this.relinkLater = relinkLater;
        }

        List<ActiveFunction> reached() {
            return reached;
        }

        /** {@code f} typed as the site, its {@code @Next} (if any) bound to the chain below it. */
        MethodHandle link(ActiveFunction f) throws Misfit {
            MethodHandle replacement = typed(owner, target, site, f, reached);
            if (f.next()) {
                MethodHandle below = f.below() == null ? original(f) : link(f.below());
                MethodType nextType = SignatureCheck.withoutNext(replacement.type(), true);
                replacement = MethodHandles.insertArguments(replacement, nextType.parameterCount(),
                        below.asType(nextType));
            }
            return replacement.asType(site);
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
                    MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(owner, MethodHandles.lookup());
                    itself = Modifier.isStatic(target.getModifiers()) ? lookup.unreflect(target)
                            : lookup.unreflectSpecial(target, owner);
                } catch (IllegalAccessException | RuntimeException e) {
                    throw new Misfit(f, "@Next cannot call the original code: " + e);
                }
                token = OriginalPass.token(owner, methodKey);
                original = OriginalPass.original(itself.asType(site), token);
            }
            return original;
        }
    }

    /**
     * The misfits already logged, by patch, loader and method: a site is relinked at every change of
     * any patch, and the same misfit once is enough (status and the audit log keep it).
     */
    private final ReportedOnce misfitsLogged = new ReportedOnce();

    /** Reports {@code f} not fitting here; {@code runs}: the patch whose version runs instead, or null (the original). */
    private void misfit(Class<?> owner, String methodKey, ActiveFunction f, String why, String runs) {
        if (misfitsLogged.first(f.patchName() + ' ' + LoaderNames.of(owner.getClassLoader()) + ' ' + owner.getName()
                + '.' + methodKey + ' ' + why + ' ' + runs)) {
            Log.get().log(System.Logger.Level.WARNING, "''{0}'': {1} in {2} {3}: {4}", f.patchName(), f.target(),
                    LoaderNames.of(owner.getClassLoader()), runs == null ? "keeps its own code"
                            : "runs the version of patch '" + runs + "' below it", why);
        }
        ledger.linkFailed(owner.getClassLoader(), owner.getName(), methodKey, f.patchName(), why, runs);
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
