package io.jlivepatch.internal.core;

import io.jlivepatch.FunctionStatus;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.jar.PatchJarBytes;
import io.jlivepatch.internal.patch.ActiveFunction;
import io.jlivepatch.internal.patch.LoadedClasses;
import io.jlivepatch.internal.patch.RecursionGuard;
import io.jlivepatch.internal.trust.TrustPolicy;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The runtime side of a patch (the kernel's internal {@code klp_patch} fields). Its flags are
 * written under the registry's lock and read without it.
 */
final class RegisteredPatch implements PatchHandle {

    private final PatchRegistry registry;
    private final Patch patch;
    private final List<ResolvedFunction> functions;
    private final List<ActiveFunction> active;

    // Target classes already checked against this patch; guarded by PatchRegistry.klpMutex. Weak:
    // a checked class must stay collectable.
    private final java.util.Set<Class<?>> checked =
            java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>());
    // The last scan of its classes (PatchRegistry.scanOf); guarded by PatchRegistry.klpMutex. Weak,
    // as checked: a kept scan must not keep a class loader alive; a collection drops it whole.
    private java.lang.ref.WeakReference<LoadedClasses> lastScan;

    // Written under PatchRegistry.klpMutex; volatile for the lock-free readers (isEnabled, status).
    private volatile boolean registered = true;
    private volatile boolean enabled;
    private volatile boolean forced;

    /** Its callbacks' run-time state; empty when the patch has none. */
    private final PatchCallbacks callbacks;
    /**
     * Whether {@code Livepatch.stateVersion} counts this patch's states: from the end of its enable
     * transition (before its postPatch) to the start of its disable (after its preUnpatch). Written
     * under PatchRegistry.klpMutex; volatile for stateVersion, which takes no lock.
     */
    private volatile boolean statesCounted;

    /**
     * Replaced once at most, when a trust policy raised after the registration checks the JAR at an
     * enable and names its signer (checkedBy). Written under PatchRegistry.klpMutex; volatile for
     * status, the MBean and the JFR events, which read it without that lock.
     */
    private volatile Provenance provenance;
    /** What its link records are kept under ({@link LinkFailureAudit#label}): one object, its functions' too. */
    private final Object auditLabel;
    /**
     * The JAR's bytes, {@code null} for a patch built in code: kept while registered (the JAR's size;
     * its classes are held by its class loader anyway) so that a watch's failed reconcile can put
     * back a patch it took down, whoever had loaded it.
     */
    private final PatchJarBytes loadedFrom;
    /**
     * The trust policy its JAR passed, {@code null} for a patch built in code: an enable under a
     * policy raised since checks the JAR again. Written and read under PatchRegistry.klpMutex.
     */
    private TrustPolicy trustedUnder;
    // Target classes loaded in no class loader at registration: patched when defined, or a typo.
    private final List<String> pendingClasses;

    RegisteredPatch(PatchRegistry registry, Patch patch, List<ResolvedFunction> functions, Provenance provenance,
                    PatchJarBytes loadedFrom, List<String> pendingClasses) {
        this.registry = registry;
        this.patch = patch;
        this.provenance = provenance;
        this.loadedFrom = loadedFrom;
        this.pendingClasses = List.copyOf(pendingClasses);
        this.callbacks = new PatchCallbacks(patch.name(), patch.callbacks(), registry);
        this.functions = List.copyOf(functions);
        ActiveFunction[] active = new ActiveFunction[this.functions.size()];
        Object label = LinkFailureAudit.label(patch.name(), provenance);
        this.auditLabel = label;
        for (int i = 0; i < active.length; i++) {
            active[i] = this.functions.get(i).active(patch.name(), label);
        }
        this.active = List.of(active); // not a stream: ~30 classes on an application's first load (issue 10)
    }

    @Override
    public String name() {
        return patch.name();
    }

    @Override
    public Patch patch() {
        return patch;
    }

    Provenance provenance() {
        return provenance;
    }

    Object auditLabel() {
        return auditLabel;
    }

    PatchJarBytes loadedFrom() {
        return loadedFrom;
    }

    TrustPolicy trustedUnder() {
        return trustedUnder;
    }

    void trustedUnder(TrustPolicy policy) {
        trustedUnder = policy;
    }

    /**
     * {@code policy}, raised since the registration, checked the JAR and found it signed by {@code
     * signer} (as records name one): from now on that is the patch's signer on record, since its code
     * runs as what the policy checked. Caller holds PatchRegistry.klpMutex.
     */
    void checkedBy(TrustPolicy policy, String signer) {
        trustedUnder = policy;
        Provenance p = provenance;
        provenance = new Provenance(p.source(), p.sha256(), signer, p.builds(), p.loadedAt(), p.requester());
        LinkFailureAudit.provenance(auditLabel, provenance); // its link lines name the signer from now on too
    }

    /** The target classes that were loaded in no class loader when the patch was registered. */
    List<String> pendingClasses() {
        return pendingClasses;
    }

    PatchCallbacks callbacks() {
        return callbacks;
    }

    boolean statesCounted() {
        return statesCounted;
    }

    void countStates(boolean counted) {
        this.statesCounted = counted;
    }

    List<ResolvedFunction> resolved() {
        return functions;
    }

    List<ActiveFunction> activeFunctions() {
        return active;
    }

    @Override
    public void enable() throws PatchException {
        int mark = RecursionGuard.enter(); // PatchRegistry.register(Patch) says why
        try {
            registry.enable(this);
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    @Override
    public void disable() throws PatchException {
        int mark = RecursionGuard.enter(); // PatchRegistry.register(Patch) says why
        try {
            registry.disable(this);
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    @Override
    public void unregister() throws PatchException {
        int mark = RecursionGuard.enter(); // PatchRegistry.register(Patch) says why
        try {
            registry.unregister(this);
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    @Override
    public boolean awaitTransition(Duration timeout) throws InterruptedException {
        return registry.awaitTransition(this, Objects.requireNonNull(timeout, "timeout"));
    }

    @Override
    public void forceTransition() throws PatchException {
        int mark = RecursionGuard.enter(); // PatchRegistry.register(Patch) says why
        try {
            registry.force(this);
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    @Override
    public boolean isRegistered() {
        return registered;
    }

    @Override
    public boolean isEnabled() {
        return enabled;
    }

    /** As the operator sees it: until its closing callbacks have returned (PatchRegistry.transitionShown). */
    @Override
    public boolean inTransition() {
        return registry.transitionShown(this);
    }

    /** Whether a transition of this patch was ever forced (the kernel marks such a patch for good). */
    public boolean isForced() {
        return forced;
    }

    /**
     * Whether a transition that took this patch's code off threads was forced (its disable, or its
     * replacement by a forced cumulative patch): threads that were inside its code may still run it.
     * A forced enable does not count: the threads it moved were in the code below. Written under
     * klpMutex, never cleared.
     */
    private volatile boolean leftByForce;

    boolean leftByForce() {
        return leftByForce;
    }

    void setLeftByForce() {
        leftByForce = true;
    }

    void setForced(boolean forced) {
        this.forced = this.forced || forced;
    }

    @Override
    public List<FunctionStatus> functions() {
        return registry.functions(this);
    }

    void checked(List<Class<?>> classes) {
        checked.addAll(classes);
    }

    boolean wasChecked(Class<?> c) {
        return checked.contains(c);
    }

    /** The scan kept by {@link #keepScan}, {@code null} when none or collected since. */
    LoadedClasses keptScan() {
        java.lang.ref.WeakReference<LoadedClasses> r = lastScan;
        return r == null ? null : r.get();
    }

    void keepScan(LoadedClasses scan) {
        lastScan = new java.lang.ref.WeakReference<>(scan);
    }

    void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    void setUnregistered() {
        this.registered = false;
    }

    @Override
    public String toString() {
        return "patch '" + name() + "' (" + (registered ? enabled ? "enabled" : "disabled" : "unregistered") + ")";
    }
}
