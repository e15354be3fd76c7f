package io.jlivepatch.internal.core;

import io.jlivepatch.internal.Log;
import io.jlivepatch.FunctionStatus;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.patch.ActiveFunction;
import io.jlivepatch.internal.patch.ClassHooks;
import io.jlivepatch.internal.patch.HookFailure;
import io.jlivepatch.internal.patch.HookManager;
import io.jlivepatch.internal.patch.LinkTable;
import io.jlivepatch.internal.patch.LoadedClasses;
import io.jlivepatch.internal.patch.LoaderNames;
import io.jlivepatch.internal.patch.Reflection;
import io.jlivepatch.internal.patch.SignatureCheck;
import io.jlivepatch.internal.patch.ReplacementSource;
import io.jlivepatch.internal.transition.Transition;
import io.jlivepatch.internal.transition.TransitionWorker;

import io.jlivepatch.internal.jar.PatchJar;
import io.jlivepatch.internal.jar.PatchJarLoader;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The patch stack and its life cycle (the kernel's {@code core.c}): register, enable, disable in
 * exactly the reverse order, unregister. A refused operation changes nothing.
 */
public final class PatchRegistry {


    /**
     * The kernel's {@code klp_mutex}: a coarse lock that serializes every life-cycle operation and
     * every change of the hooks. Readers of the stack ({@link #patches()}, {@link #find}) and of a
     * patch's flags skip it: the stack is copy-on-write and the flags are volatile.
     */
    private final ReentrantLock klpMutex = new ReentrantLock();
    /** Signalled under klpMutex when a transition ends; awaitTransition waits on it. */
    private final Condition transitionDone = klpMutex.newCondition();

    // The transition in progress, at most one (the kernel's klp_transition_patch). Written under
    // klpMutex; volatile for the lock-free readers (inTransition, status, the worker's end check).
    private volatile Transition transition;
    private volatile RegisteredPatch transitionPatch;
    private Thread worker;

    private final List<RegisteredPatch> stack = new CopyOnWriteArrayList<>();
    private final HookManager hooks;
    private final FunctionResolver resolver;
    private final AuditLog audit = new AuditLog();

    // Set once, when the MBeans are up; written and read under klpMutex.
    private volatile RegistryObserver observer;

    private PatchRegistry(HookManager hooks) {
        this.hooks = hooks;
        this.resolver = new FunctionResolver(hooks.instrumentation());
    }

    public static PatchRegistry install(Instrumentation inst) {
        return new PatchRegistry(HookManager.install(inst));
    }

    /** Tells {@code observer} of every patch registered so far, then of every change. */
    public void observeFromNowOn(RegistryObserver observer) {
        klpMutex.lock();
        try {
            for (RegisteredPatch p : stack) {
                observer.registered(p);
            }
            this.observer = observer;
        } finally {
            klpMutex.unlock();
        }
    }

    public AuditLog audit() {
        return audit;
    }

    public Instrumentation instrumentation() {
        return hooks.instrumentation();
    }

    public List<PatchHandle> patches() {
        return List.copyOf(stack);
    }

    public Optional<PatchHandle> find(String name) {
        for (RegisteredPatch p : stack) {
            if (p.name().equals(name)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** Registers a patch whose replacements are given as methods, the same in every class loader. */
    public PatchHandle register(Patch patch) throws PatchException {
        List<ReplacementSource> sources = new ArrayList<>();
        try {
            for (Patch.Replacement r : patch.replacements()) {
                sources.add(ReplacementSource.fixed(FunctionResolver.handleOf(patch.name(), r)));
            }
        } catch (PatchException e) {
            throw refused("register", patch.name(), e);
        }
        return register(patch, sources);
    }

    /** Reads, checks and registers a patch JAR; all or nothing. */
    public PatchHandle load(Path jar) throws PatchException {
        PatchJarLoader.Prepared prepared;
        try {
            prepared = PatchJarLoader.prepare(PatchJar.read(jar), hooks.instrumentation());
        } catch (PatchException e) {
            throw refused("load", e.patchName() != null ? e.patchName() : jar.toString(), e);
        }
        return register(prepared.patch(), prepared.sources());
    }

    /** Registers a patch whose i-th replacement comes from the i-th source, per target class loader. */
    public PatchHandle register(Patch patch, List<ReplacementSource> sources) throws PatchException {
        klpMutex.lock();
        try {
            if (find(patch.name()).isPresent()) {
                throw new PatchException(Reason.DUPLICATE_NAME, patch.name(), "patch '" + patch.name()
                        + "' is already registered: unregister it first or give the new patch another name");
            }
            Set<String> names = new HashSet<>();
            patch.replacements().forEach(r -> names.add(r.className()));
            Map<String, List<Class<?>>> loaded = LoadedClasses.named(hooks.instrumentation(), names);
            List<ResolvedFunction> functions = new ArrayList<>();
            for (int i = 0; i < patch.replacements().size(); i++) {
                functions.add(resolver.resolve(patch.name(), patch.replacements().get(i), sources.get(i), loaded));
            }
            RegisteredPatch p = new RegisteredPatch(this, patch, functions);
            loaded.values().forEach(p::checked);
            stack.add(p);
            Log.get().log(System.Logger.Level.INFO, "''{0}'': registered, {1} function(s), stack order {2}",
                    patch.name(), functions.size(), stack.size());
            audit.record("register", patch.name(), "ok");
            if (observer != null) {
                observer.registered(p);
            }
            return p;
        } catch (PatchException e) {
            throw refused("register", patch.name(), e);
        } finally {
            klpMutex.unlock();
        }
    }

    /**
     * Checks the classes of {@code p}'s targets loaded since it was last checked, like
     * registration checks those loaded before it; classes already checked are not checked again.
     */
    private void checkClassesLoadedSince(RegisteredPatch p) throws PatchException {
        Set<String> names = new HashSet<>();
        p.resolved().forEach(f -> names.add(f.replacement().className()));
        Map<String, List<Class<?>>> loaded = LoadedClasses.named(hooks.instrumentation(), names);
        List<Class<?>> fresh = new ArrayList<>();
        for (ResolvedFunction f : p.resolved()) {
            for (Class<?> c : loaded.getOrDefault(f.replacement().className(), List.of())) {
                if (!p.wasChecked(c)) {
                    resolver.checkLoaded(p.name(), f.replacement(), c,
                            FunctionResolver.handleFor(p.name(), f.replacement(), f.source(), c));
                    fresh.add(c);
                }
            }
        }
        p.checked(fresh);
    }

    void enable(RegisteredPatch p) throws PatchException {
        klpMutex.lock();
        try {
            requireRegistered(p, "enable");
            if (transition != null && transitionPatch == p && !transition.targetPatched()) {
                reverse();
                audit.record("enable", p.name(), "ok (transition reversed)");
                return;
            }
            requireNoOtherTransition(p, "enable");
            if (p.isEnabled()) {
                throw new PatchException(Reason.ILLEGAL_STATE, p.name(), "patch '" + p.name() + "' is already enabled");
            }
            for (RegisteredPatch before : stack) {
                if (before == p) {
                    break;
                }
                if (!before.isEnabled()) {
                    throw new PatchException(Reason.ORDER_VIOLATION, p.name(), "cannot enable patch '" + p.name()
                            + "' while '" + before.name() + "', registered before it, is disabled: enable '"
                            + before.name() + "' first, or unregister it");
                }
            }
            Log.get().log(System.Logger.Level.INFO, "enabling patch ''{0}''", p.name());
            // Classes loaded since registration are checked like those loaded before it.
            checkClassesLoadedSince(p);
            startTransition(p, true);
            audit.record("enable", p.name(), "ok");
        } catch (PatchException e) {
            throw refused("enable", p.name(), e);
        } finally {
            klpMutex.unlock();
        }
    }

    void disable(RegisteredPatch p) throws PatchException {
        klpMutex.lock();
        try {
            requireRegistered(p, "disable");
            if (transition != null && transitionPatch == p && transition.targetPatched()) {
                reverse();
                audit.record("disable", p.name(), "ok (transition reversed)");
                return;
            }
            requireNoOtherTransition(p, "disable");
            if (!p.isEnabled()) {
                throw new PatchException(Reason.ILLEGAL_STATE, p.name(), "patch '" + p.name() + "' is not enabled");
            }
            for (int i = stack.indexOf(p) + 1; i < stack.size(); i++) {
                RegisteredPatch after = stack.get(i);
                if (after.isEnabled()) {
                    throw new PatchException(Reason.ORDER_VIOLATION, p.name(), "cannot disable patch '" + p.name()
                            + "' while '" + after.name() + "', enabled after it, is still enabled: patches come off"
                            + " in reverse order, disable '" + after.name() + "' first");
                }
            }
            Log.get().log(System.Logger.Level.INFO, "disabling patch ''{0}''", p.name());
            startTransition(p, false);
            audit.record("disable", p.name(), "ok");
        } catch (PatchException e) {
            throw refused("disable", p.name(), e);
        } finally {
            klpMutex.unlock();
        }
    }

    private void requireNoOtherTransition(RegisteredPatch p, String operation) throws PatchException {
        if (transition != null) {
            throw new PatchException(Reason.BUSY, p.name(), "cannot " + operation + " patch '" + p.name()
                    + "' while patch '" + transitionPatch.name() + "' is in transition: wait for it to complete"
                    + " (awaitTransition, 'jlivepatch status'), or force it");
        }
    }

    /**
     * The kernel's {@code klp_init_transition} + {@code klp_start_transition}: hooks in place for
     * both sides, every thread in the state before the transition, then one synchronous attempt
     * to move them all; the worker retries what is left. Caller holds klpMutex.
     */
    private void startTransition(RegisteredPatch p, boolean patching) throws PatchException {
        List<String[]> methods = new ArrayList<>();
        for (ResolvedFunction f : p.resolved()) {
            methods.add(new String[] {f.replacement().className(), f.spec().name(), f.spec().descriptor()});
        }
        Transition t = new Transition(p.name(), methods, patching);
        switchTo(p, LinkTable.transition(enabledFunctions(p, false), enabledFunctions(p, true), t));
        t.start(); // every site routes by thread state now (switchTo ends with relinkAll + syncAll)
        transition = t;
        transitionPatch = p;
        p.setEnabled(patching);
        Log.get().log(System.Logger.Level.INFO, "''{0}'': starting {1} transition", p.name(), patching ? "patching" : "unpatching");
        if (!tryComplete(t)) {
            startWorker(t);
        }
    }

    /** Caller holds klpMutex. */
    private void startWorker(Transition t) {
        worker = TransitionWorker.start(t.patchName(), () -> tryComplete(t), () -> transition != t);
        t.setWorker(worker);
        worker.start();
    }

    /** The kernel's {@code klp_reverse_transition}. Caller holds klpMutex. */
    private void reverse() {
        Transition t = transition;
        RegisteredPatch p = transitionPatch;
        Log.get().log(System.Logger.Level.INFO, "''{0}'': reversing transition from {1} to {2}", p.name(),
                t.targetPatched() ? "patching" : "unpatching", t.targetPatched() ? "unpatching" : "patching");
        t.reverse();
        p.setEnabled(t.targetPatched());
        if (!tryComplete(t) && (worker == null || !worker.isAlive())) {
            startWorker(t);
        }
    }

    /**
     * One attempt to end transition {@code t} (the kernel's {@code klp_try_complete_transition}):
     * moves the threads it can, and once every thread is in the target state relinks the call
     * sites to their direct targets and removes the hooks the target state does not need.
     */
    private boolean tryComplete(Transition t) {
        if (!t.tryMoveAll()) {
            return false;
        }
        klpMutex.lock();
        try {
            if (transition != t) {
                return true; // completed, forced or replaced meanwhile
            }
            // Re-checked under the lock: a reversal (which holds it) may have flipped the target.
            if (!t.allInTarget()) {
                return false;
            }
            return finish(t);
        } finally {
            klpMutex.unlock();
        }
    }

    /** Ends transition {@code t}, every thread being in the target state. Caller holds klpMutex. */
    private boolean finish(Transition t) {
        RegisteredPatch p = transitionPatch;
        try {
            hooks.apply(LinkTable.of(enabledFunctions(p, t.targetPatched())));
        } catch (HookFailure e) {
            Log.get().log(System.Logger.Level.ERROR, "''{0}'': ending the transition failed, retrying: {1}",
                    p.name(), e.getMessage());
            return false;
        }
        transition = null;
        transitionPatch = null;
        transitionDone.signalAll();
        Log.get().log(System.Logger.Level.INFO, "''{0}'': {1} complete", p.name(), t.targetPatched() ? "patching" : "unpatching");
        return true;
    }

    void force(RegisteredPatch p) throws PatchException {
        klpMutex.lock();
        try {
            if (transition == null || transitionPatch != p) {
                throw new PatchException(Reason.ILLEGAL_STATE, p.name(), "patch '" + p.name()
                        + "' is not in transition: there is nothing to force");
            }
            Transition t = transition;
            Log.get().log(System.Logger.Level.WARNING, "''{0}'': forcing the transition; threads still in old code"
                    + " keep running it", p.name());
            t.force();
            p.setForced(true);
            if (!finish(t)) {
                throw new PatchException(Reason.TRANSFORM_FAILED, p.name(), "patch '" + p.name()
                        + "': every thread is in the target state, but relinking failed; see the log");
            }
            if (worker != null) {
                worker.interrupt();
            }
            audit.record("force", p.name(), "ok");
        } catch (PatchException e) {
            throw refused("force", p.name(), e);
        } finally {
            klpMutex.unlock();
        }
    }

    boolean inTransition(RegisteredPatch p) {
        return transitionPatch == p;
    }

    /** Whether a transition of {@code p} was forced (it stays marked, as in the kernel). */
    public boolean isForced(PatchHandle p) {
        return p instanceof RegisteredPatch && ((RegisteredPatch) p).isForced();
    }

    /** The threads that hold the transition of {@code p}, or an empty list. */
    public List<String> waitingThreads(PatchHandle p) {
        Transition t = transition;
        return t != null && transitionPatch == p ? t.waiting() : List.of();
    }

    boolean awaitTransition(RegisteredPatch p, Duration timeout) throws InterruptedException {
        long nanos = timeout.toNanos();
        klpMutex.lock();
        try {
            while (transitionPatch == p) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = transitionDone.awaitNanos(nanos);
            }
            return true;
        } finally {
            klpMutex.unlock();
        }
    }

    void unregister(RegisteredPatch p) throws PatchException {
        klpMutex.lock();
        try {
            requireRegistered(p, "unregister");
            if (transitionPatch == p) {
                throw new PatchException(Reason.ILLEGAL_STATE, p.name(), "patch '" + p.name()
                        + "' is in transition: wait for it to end, disable it, then unregister it");
            }
            if (p.isEnabled()) {
                throw new PatchException(Reason.ILLEGAL_STATE, p.name(), "patch '" + p.name()
                        + "' is enabled: disable it before unregistering it");
            }
            stack.remove(p);
            p.setUnregistered();
            Log.get().log(System.Logger.Level.INFO, "''{0}'': unregistered", p.name());
            audit.record("unregister", p.name(), "ok");
            if (observer != null) {
                observer.unregistered(p);
            }
        } catch (PatchException e) {
            throw refused("unregister", p.name(), e);
        } finally {
            klpMutex.unlock();
        }
    }

    private void requireRegistered(RegisteredPatch p, String operation) throws PatchException {
        if (!p.isRegistered()) {
            throw new PatchException(Reason.ILLEGAL_STATE, p.name(), "cannot " + operation + " patch '" + p.name()
                    + "': it is not registered (it was unregistered); register it again first");
        }
    }

    /** The functions of the enabled patches in stack order, with {@code p} counted as enabled or not. */
    private List<List<ActiveFunction>> enabledFunctions(RegisteredPatch p, boolean pEnabled) {
        List<List<ActiveFunction>> enabled = new ArrayList<>();
        for (RegisteredPatch q : stack) {
            if (q == p ? pEnabled : q.isEnabled()) {
                enabled.add(q.activeFunctions());
            }
        }
        return enabled;
    }

    private void switchTo(RegisteredPatch p, LinkTable next) throws PatchException {
        try {
            hooks.apply(next);
        } catch (HookFailure e) {
            throw new PatchException(Reason.TRANSFORM_FAILED, p.name(), "patch '" + p.name() + "': "
                    + e.getMessage() + "; nothing was changed", e);
        }
    }

    /** Logs and audits a refusal; returns it for throwing. */
    PatchException refused(String operation, String patch, PatchException e) {
        Log.get().log(System.Logger.Level.WARNING, "{0} refused ({1}): {2}", operation, e.reason(), e.getMessage());
        audit.record(operation, patch, "refused " + e.reason() + ": " + e.getMessage());
        return e;
    }

    /** Why {@code f}'s replacement does not fit class {@code c} of some loader, or {@code null}. */
    private static String misfit(ResolvedFunction f, Class<?> c) {
        Method target = Reflection.findDeclared(c, f.spec().name(), f.spec().descriptor());
        if (target == null) {
            return "the class does not declare the method";
        }
        try {
            return SignatureCheck.misfit(c, target, f.source().handleFor(c.getClassLoader()).type());
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            return "the replacement cannot be linked in this class loader: " + e;
        }
    }

    List<FunctionStatus> functions(RegisteredPatch p) {
        Set<String> names = new HashSet<>();
        p.resolved().forEach(f -> names.add(f.replacement().className()));
        Map<String, List<Class<?>>> loaded = LoadedClasses.named(hooks.instrumentation(), names);
        boolean enabled = p.isEnabled();
        List<FunctionStatus> out = new ArrayList<>();
        for (ResolvedFunction f : p.resolved()) {
            Patch.Replacement r = f.replacement();
            List<FunctionStatus.LoaderStatus> loaders = new ArrayList<>();
            for (Class<?> c : loaded.getOrDefault(r.className(), List.of())) {
                ClassHooks h = hooks.ledger().get(c.getClassLoader(), c.getName());
                String failure = h.failures().get(f.spec().key());
                FunctionStatus.State state;
                String detail = "";
                if (failure == null && enabled && h.hooked().contains(f.spec().key())) {
                    // The linker checks a class defined after registration only when its method
                    // first runs; status must not wait for that.
                    failure = misfit(f, c);
                }
                if (failure != null) {
                    state = FunctionStatus.State.FAILED;
                    detail = failure;
                } else if (enabled && h.hooked().contains(f.spec().key())) {
                    state = FunctionStatus.State.PATCHED;
                } else {
                    state = FunctionStatus.State.NOT_PATCHED;
                }
                loaders.add(new FunctionStatus.LoaderStatus(LoaderNames.of(c.getClassLoader()), state, detail));
            }
            out.add(new FunctionStatus(r.className(), r.methodName(), r.descriptor(), loaders));
        }
        return out;
    }
}
