package io.jlivepatch.internal.core;

import io.jlivepatch.internal.patch.HookLedger;
import io.jlivepatch.internal.patch.LoaderNames;

import java.util.HashMap;
import java.util.Map;

/**
 * Logs and puts on record the hooks of a patch put into a class defined after the patch was enabled
 * (the kernel's {@code klp_module_coming}: {@code applying patch 'P' to loading class C in class loader L}),
 * and those the in-flight follow-up put in or took off a class whose definition came during a change
 * ({@code reverting patch 'P' on loading class ...} for the second): the code of a running class
 * changed, with no operation's line to say so. Once per registration of a patch, class, class loader
 * and kind.
 *
 * <p>Bounded per registration, class and kind: a service that makes a class loader per request (each
 * defining the patched class) would otherwise log a line per request and fill the audit log's bound
 * with them, pushing out the records of what operations changed. The first {@value #NAMED} class
 * loaders each have their line; after that a line comes when their number reaches twice the last
 * line's (20, 40, 80, ...), naming that loader and counting those not named since, so that a million
 * loaders make about twenty lines. Counts, not times: the lines do not depend on how fast the loaders
 * come. What the functions run in each loader stays in status.
 *
 * <p>Used by {@link LinkFailureAudit}'s thread only (the holder of its lock: at the JVM's exit, the
 * exit's pass): nothing here is shared.
 */
final class AppliedLater {

    /** The class loaders named one by one, per registration, class and kind. */
    static final int NAMED = 10;
    /** Counters kept at most: a JVM that redeploys for months registers new patches for ever. */
    static final int REMEMBERED = 1024;

    /**
     * Per registration (its label, {@link LinkFailureAudit#label}), then class and kind: how many loaders so
     * far, and the count at the last line. A registration's go when it is unregistered ({@link #forget}), as
     * what {@code seen} audited for it: a JVM that loads and unloads patches for months otherwise filled the
     * bound with those of patches long gone, and each new patch's counts were cleared with them.
     */
    private final Map<Object, Map<String, long[]>> counts = new HashMap<>();
    /** The counters in {@link #counts}, all registrations together: at most {@link #REMEMBERED}. */
    private int remembered;
    /**
     * Whose record of what was audited (by registration and loader, weakly: a per-request loader goes
     * with its request) this shares: its failure keys are {@code Class.method}, these {@code Class kind},
     * so no two meet.
     */
    private final LinkFailureAudit seen;

    /** {@code seen} also writes the lines and records: at the JVM's exit, as the exit's ({@link LinkFailureAudit#atExit}). */
    AppliedLater(LinkFailureAudit seen) {
        this.seen = seen;
    }

    /** {@code e}: a {@link HookLedger#applied} event; one line per patch it names, within the bound. */
    void record(HookLedger.LinkEvent e) {
        String loader = LoaderNames.of(e.loader());
        for (Object label : e.auditedFor()) {
            String name = (String) ((Map.Entry<?, ?>) label).getKey(); // made by LinkFailureAudit.label
            Provenance provenance = LinkFailureAudit.provenanceOf(label); // as it is now, as a failure's
            // Once per registration (its label: a patch registered again is another one), as a failure
            String key = e.className() + ' ' + e.applied();
            if (!seen.firstTime(label, e.loader(), key)) {
                continue;
            }
            Map<String, long[]> mine = counts.get(label);
            long[] c = mine == null ? null : mine.get(key);
            if (c == null) {
                if (remembered >= REMEMBERED) {
                    counts.clear(); // a pair still defined in new loaders starts counting again: a few lines more
                    remembered = 0;
                    mine = null;
                }
                if (mine == null) {
                    mine = new HashMap<>();
                    counts.put(label, mine);
                }
                c = new long[2];
                mine.put(key, c);
                remembered++;
            }
            long n = ++c[0];
            if (n > NAMED && n < 2 * c[1]) {
                continue; // counted, not named: see the class's comment
            }
            String bound = n < NAMED ? "" : n == NAMED
                    ? "; the " + NAMED + "th class loader to define it for this patch: from here on, a line each time"
                    + " their number doubles"
                    : "; the " + n + "th class loader to define it for this patch, the " + (n - c[1] - 1)
                    + " before it since the previous line not named one by one (a line each time their number"
                    + " doubles)";
            c[1] = n;
            line(name, e.className(), loader, e.applied(), bound, provenance);
        }
    }

    /** The registration of {@code label} was unregistered: its counts go (LinkFailureAudit.forgetAll). */
    void forget(Object label) {
        Map<String, long[]> mine = counts.remove(label);
        if (mine != null) {
            remembered -= mine.size();
        }
    }

    /** For tests: the counters kept for the registrations of patch {@code name}. */
    int countersOf(String name) {
        int n = 0;
        for (Map.Entry<Object, Map<String, long[]>> c : counts.entrySet()) {
            if (((Map.Entry<?, ?>) c.getKey()).getKey().equals(name)) {
                n += c.getValue().size();
            }
        }
        return n;
    }

    private void line(String patch, String className, String loader, String how, String bound,
                      Provenance provenance) {
        String log;
        String outcome;
        if (HookLedger.DEFINED.equals(how)) {
            log = "applying patch '" + patch + "' to loading class " + className + " in class loader " + loader;
            outcome = "ok (" + className + " in class loader " + loader + ", defined after the patch was enabled:"
                    + " hooked as it was defined" + bound + ")";
        } else if (HookLedger.HOOKED_AGAIN.equals(how)) {
            log = "applying patch '" + patch + "' to loading class " + className + " in class loader " + loader
                    + " (its definition was in flight during a change of patches: hooked again once loaded)";
            outcome = "ok (" + className + " in class loader " + loader + ", defined during a change of patches:"
                    + " hooked again once loaded, as the patches are now" + bound + ")";
        } else {
            log = "reverting patch '" + patch + "' on loading class " + className + " in class loader " + loader
                    + " (its definition was in flight during a change of patches: its hooks taken off once loaded)";
            outcome = "ok (" + className + " in class loader " + loader + ", defined during a change of patches:"
                    + " the patch's hooks taken off once loaded, as the patches are now" + bound + ")";
        }
        try {
            seen.log().log(System.Logger.Level.INFO, bound.isEmpty() ? log : log + " (" + bound.substring(2) + ")");
        } catch (RuntimeException | LinkageError | VirtualMachineError lost) {
            // no memory for the line (the logger's making): the record below still says what changed
        }
        seen.record("link", patch, outcome, provenance);
    }
}
