package io.jlivepatch.internal.core;

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
import io.jlivepatch.internal.patch.ReplacementSource;

import io.jlivepatch.internal.jar.PatchJar;
import io.jlivepatch.internal.jar.PatchJarLoader;

import java.lang.instrument.Instrumentation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The patch stack and its life cycle (the kernel's {@code core.c}): register, enable, disable in
 * exactly the reverse order, unregister. A refused operation changes nothing.
 */
public final class PatchRegistry {

    private static final System.Logger LOG = System.getLogger("io.jlivepatch");

    /**
     * The kernel's {@code klp_mutex}: a coarse lock that serializes every life-cycle operation and
     * every change of the hooks. Readers of the stack ({@link #patches()}, {@link #find}) and of a
     * patch's flags skip it: the stack is copy-on-write and the flags are volatile.
     */
    private final ReentrantLock klpMutex = new ReentrantLock();

    private final List<RegisteredPatch> stack = new CopyOnWriteArrayList<>();
    private final HookManager hooks;
    private final FunctionResolver resolver;
    private final AuditLog audit = new AuditLog();

    // Set once, at install, before any patch can be registered; read under klpMutex.
    private volatile RegistryObserver observer;

    private PatchRegistry(HookManager hooks) {
        this.hooks = hooks;
        this.resolver = new FunctionResolver(hooks.instrumentation());
    }

    public static PatchRegistry install(Instrumentation inst) {
        return new PatchRegistry(HookManager.install(inst));
    }

    public void setObserver(RegistryObserver observer) {
        this.observer = observer;
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
            List<ResolvedFunction> functions = resolveAll(patch.name(), patch.replacements(), sources);
            RegisteredPatch p = new RegisteredPatch(this, patch, functions);
            stack.add(p);
            LOG.log(System.Logger.Level.INFO, "''{0}'': registered, {1} function(s), stack order {2}",
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

    private List<ResolvedFunction> resolveAll(String patchName, List<Patch.Replacement> replacements,
                                              List<ReplacementSource> sources) throws PatchException {
        Set<String> names = new HashSet<>();
        replacements.forEach(r -> names.add(r.className()));
        Map<String, List<Class<?>>> loaded = LoadedClasses.named(hooks.instrumentation(), names);
        List<ResolvedFunction> functions = new ArrayList<>();
        for (int i = 0; i < replacements.size(); i++) {
            functions.add(resolver.resolve(patchName, replacements.get(i), sources.get(i), loaded));
        }
        return functions;
    }

    void enable(RegisteredPatch p) throws PatchException {
        klpMutex.lock();
        try {
            requireRegistered(p, "enable");
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
            LOG.log(System.Logger.Level.INFO, "enabling patch ''{0}''", p.name());
            // Classes loaded since registration are checked like those loaded before it.
            resolveAll(p.name(), p.patch().replacements(), p.sources());
            LOG.log(System.Logger.Level.INFO, "''{0}'': starting patching transition", p.name());
            switchTo(p, tableWith(p, true));
            p.setEnabled(true);
            LOG.log(System.Logger.Level.INFO, "''{0}'': patching complete", p.name());
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
            LOG.log(System.Logger.Level.INFO, "disabling patch ''{0}''", p.name());
            LOG.log(System.Logger.Level.INFO, "''{0}'': starting unpatching transition", p.name());
            switchTo(p, tableWith(p, false));
            p.setEnabled(false);
            LOG.log(System.Logger.Level.INFO, "''{0}'': unpatching complete", p.name());
            audit.record("disable", p.name(), "ok");
        } catch (PatchException e) {
            throw refused("disable", p.name(), e);
        } finally {
            klpMutex.unlock();
        }
    }

    void unregister(RegisteredPatch p) throws PatchException {
        klpMutex.lock();
        try {
            requireRegistered(p, "unregister");
            if (p.isEnabled()) {
                throw new PatchException(Reason.ILLEGAL_STATE, p.name(), "patch '" + p.name()
                        + "' is enabled: disable it before unregistering it");
            }
            stack.remove(p);
            p.setUnregistered();
            LOG.log(System.Logger.Level.INFO, "''{0}'': unregistered", p.name());
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

    /** The link table of the enabled patches, with {@code p} counted as enabled or not. */
    private LinkTable tableWith(RegisteredPatch p, boolean pEnabled) {
        List<List<ActiveFunction>> enabled = new ArrayList<>();
        for (RegisteredPatch q : stack) {
            if (q == p ? pEnabled : q.isEnabled()) {
                enabled.add(q.activeFunctions());
            }
        }
        return LinkTable.of(enabled);
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
        LOG.log(System.Logger.Level.WARNING, "{0} refused ({1}): {2}", operation, e.reason(), e.getMessage());
        audit.record(operation, patch, "refused " + e.reason() + ": " + e.getMessage());
        return e;
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
