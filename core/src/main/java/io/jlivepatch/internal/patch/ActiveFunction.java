package io.jlivepatch.internal.patch;

/**
 * A replacement that is the top of its method's patch stack: what the hook of that method runs.
 *
 * @param patchName   the patch it comes from
 * @param className   target class name
 * @param spec        the target method as the hook needs it
 * @param source      the {@code public static} replacement, per class loader of the target
 * @param next        whether the replacement's last parameter is {@code @Next}: the version below
 * @param below       the replacement of the previous enabled patch that replaces the same method in
 *                    the same stack, or {@code null} for the original code; what {@code @Next} runs.
 *                    Part of equality, so that a route whose chain below changes is relinked.
 * @param label       what a failure of this replacement is audited under: its patch's name and
 *                    provenance, as the registry made them (LinkFailureAudit.label), opaque here. Taken
 *                    into a {@link HookLedger.LinkEvent} when the failure happens, so that the audit
 *                    looks nothing up in the registry, from which the patch may be gone by then. Holds
 *                    no class loader: a failure waiting for the audit keeps no patch JAR's loader
 *                    alive. Not part of equality: it says nothing of what runs (a patch registered
 *                    again has other sources anyway).
 */
public record ActiveFunction(String patchName, String className, MethodSpec spec, ReplacementSource source,
                             boolean next, ActiveFunction below, Object label) {

    public String target() {
        return className + "." + spec.name() + spec.descriptor();
    }

    // equals and hashCode written out: a record's generated ones bootstrap java.lang.runtime.ObjectMethods
    // the first time they run, which in a cold JVM (a patch enabled before main) costs tens of
    // milliseconds of method-handle spinning (BENCHMARKS.md, section 4); these compare the same components
    // but label (see above).
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ActiveFunction)) {
            return false;
        }
        ActiveFunction f = (ActiveFunction) o;
        return next == f.next && patchName.equals(f.patchName) && className.equals(f.className)
                && spec.equals(f.spec) && source.equals(f.source) && java.util.Objects.equals(below, f.below);
    }

    @Override
    public int hashCode() {
        int h = patchName.hashCode();
        h = 31 * h + className.hashCode();
        h = 31 * h + spec.hashCode();
        h = 31 * h + source.hashCode();
        h = 31 * h + Boolean.hashCode(next);
        return 31 * h + (below == null ? 0 : below.hashCode());
    }

    /** This replacement on top of {@code below} (see {@link #below}). */
    ActiveFunction over(ActiveFunction below) {
        return new ActiveFunction(patchName, className, spec, source, next, below, label);
    }

    /** Whether some replacement of the chain from this one down calls the original code through {@code @Next}. */
    boolean reachesOriginal() {
        ActiveFunction f = this;
        while (f.next) {
            if (f.below == null) {
                return true;
            }
            f = f.below;
        }
        return false;
    }
}
