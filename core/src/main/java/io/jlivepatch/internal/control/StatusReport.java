package io.jlivepatch.internal.control;

import io.jlivepatch.FunctionStatus;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.core.AuditFile;
import io.jlivepatch.internal.core.ForcedPatch;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.Provenance;
import io.jlivepatch.internal.core.StartupJars;
import io.jlivepatch.internal.transition.Transition;
import io.jlivepatch.internal.ModuleOpenings;
import io.jlivepatch.internal.trust.TrustPolicy;
import io.jlivepatch.internal.watch.ReconcileStatus;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code jlivepatch status} prints, like {@code canonical-livepatch status}: the trust policy,
 * the audit file, and per patch its state, provenance (file, SHA-256, signer, builds, when and by
 * whom it was loaded), the threads holding its transition and its functions. The text forms
 * {@link Text#clean clean} every name, description, path, thread and detail, so that each line of
 * the report is one line on the terminal; the JSON form escapes through {@link Json} and is
 * described by {@code io/jlivepatch/control/status-schema.json}.
 */
final class StatusReport {

    /** How many definitions in flight status names; the count says how many there are. */
    static final int IN_FLIGHT_SHOWN = 10;

    /** How the text status starts the trust line when patches are not verified. */
    static final String NOT_VERIFIED = "patches are not verified";

    private StatusReport() {
    }

    static String json(PatchRegistry registry) {
        List<PatchHandle> patches = registry.patches();
        TrustPolicy trust = TrustPolicy.current();
        String auditFile = AuditFile.file();
        String auditProblem = AuditFile.problem();
        StringBuilder sb = new StringBuilder("{\"pid\":").append(ProcessHandle.current().pid())
                .append(",\"trust\":{\"verifying\":").append(trust.enforced())
                .append(",\"policy\":").append(Json.string(trust.describe())).append('}')
                .append(",\"audit\":{\"file\":").append(auditFile == null ? "null" : Json.string(auditFile))
                .append(",\"problem\":").append(auditProblem == null ? "null" : Json.string(auditProblem))
                .append(",\"notWritten\":").append(AuditFile.notWrittenCount()).append('}');
        sb.append(",\"opened\":[");
        List<String> opened = ModuleOpenings.all();
        for (int i = 0; i < opened.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(Json.string(opened.get(i)));
        }
        sb.append(']');
        ReconcileStatus watch = ReconcileStatus.current();
        sb.append(",\"watch\":{\"directory\":")
                .append(watch.directory().isEmpty() ? "null" : Json.string(watch.directory()))
                .append(",\"desired\":").append(Json.string(watch.desired()))
                .append(",\"state\":").append(Json.string(watch.state()))
                .append(",\"lastReconcile\":").append(watch.lastReconcile()).append('}')
                .append(",\"patches\":[");
        int order = 0;
        for (PatchHandle p : patches) {
            if (order++ > 0) {
                sb.append(',');
            }
            sb.append("{\"name\":").append(Json.string(p.name()))
                    .append(",\"description\":").append(Json.string(p.patch().description()))
                    .append(",\"stackOrder\":").append(order)
                    .append(",\"enabled\":").append(p.isEnabled())
                    .append(",\"transition\":").append(p.inTransition())
                    .append(",\"forced\":").append(registry.isForced(p))
                    .append(",\"cumulative\":").append(p.patch().replace())
                    .append(",\"states\":[");
            int s = 0;
            for (Patch.State st : p.patch().states()) {
                sb.append(s++ > 0 ? "," : "").append("{\"id\":").append(st.id())
                        .append(",\"version\":").append(st.version()).append('}');
            }
            sb.append("],\"callbacks\":[");
            int cb = 0;
            for (String cls : p.patch().callbacks().keySet()) {
                sb.append(cb++ > 0 ? "," : "").append(Json.string(cls));
            }
            String failure = registry.lastCallbackFailure(p);
            sb.append("],\"lastCallbackFailure\":").append(failure == null ? "null" : Json.string(failure))
                    .append(",\"callbackFailures\":").append(registry.callbackFailures(p))
                    .append(",\"provenance\":");
            appendProvenance(sb, registry.provenance(p));
            sb.append(",\"pendingClasses\":[");
            int k = 0;
            for (String c : registry.pendingClasses(p)) {
                sb.append(k++ > 0 ? "," : "").append(Json.string(c));
            }
            sb.append("],\"waiting\":[");
            int w = 0;
            for (Transition.Waiter t : registry.waiters(p)) {
                sb.append(w++ > 0 ? "," : "").append("{\"thread\":").append(Json.string(t.thread()))
                        .append(",\"threadId\":").append(t.threadId())
                        .append(",\"method\":").append(Json.string(t.method()))
                        .append(",\"inside\":").append(Json.string(t.inside())).append('}');
            }
            String endFailure = registry.transitionEndFailure(p);
            sb.append("],\"transitionEndFailure\":").append(endFailure == null ? "null" : Json.string(endFailure));
            // one closing's callback and requester, never one's with another's (PatchRegistry.closing)
            PatchRegistry.Closing closing = registry.closing(p);
            sb.append(",\"closingCallback\":").append(closing.callback() == null ? "null"
                    : Json.string(closing.callback()));
            sb.append(",\"closingBy\":").append(closing.by() == null ? "null" : Json.string(closing.by()));
            sb.append(",\"functions\":[");
            int i = 0;
            for (FunctionStatus f : p.functions()) {
                if (i++ > 0) {
                    sb.append(',');
                }
                sb.append("{\"class\":").append(Json.string(f.className()))
                        .append(",\"method\":").append(Json.string(f.methodName()))
                        .append(",\"descriptor\":").append(Json.string(f.descriptor()))
                        .append(",\"state\":").append(Json.string(f.state().name()))
                        .append(",\"loaders\":[");
                int j = 0;
                for (FunctionStatus.LoaderStatus l : f.loaders()) {
                    if (j++ > 0) {
                        sb.append(',');
                    }
                    sb.append("{\"loader\":").append(Json.string(l.classLoader()))
                            .append(",\"state\":").append(Json.string(l.state().name()))
                            .append(",\"detail\":").append(Json.string(l.detail())).append('}');
                }
                sb.append("]}");
            }
            sb.append("]}");
        }
        sb.append("],\"forcedAndUnregistered\":[");
        int f = 0;
        for (ForcedPatch gone : registry.forcedAndUnregistered()) {
            sb.append(f++ > 0 ? "," : "").append("{\"name\":").append(Json.string(gone.name()))
                    .append(",\"sha256\":").append(Json.string(gone.sha256()))
                    .append(",\"source\":").append(Json.string(gone.source()))
                    .append(",\"unregisteredAt\":").append(Json.string(String.valueOf(gone.unregisteredAt())))
                    .append(",\"how\":").append(Json.string(gone.how())).append('}');
        }
        StartupJars.Snapshot notLoaded = notLoaded(registry);
        sb.append("],\"patchDirectory\":{\"notLoaded\":[");
        int n = 0;
        for (StartupJars.Entry e : notLoaded.entries()) {
            sb.append(n++ > 0 ? "," : "").append("{\"jar\":").append(Json.string(e.jar()))
                    .append(",\"by\":").append(Json.string(e.by()))
                    .append(",\"state\":").append(Json.string(e.state()))
                    .append(",\"reason\":").append(Json.string(e.reason())).append('}');
        }
        sb.append("],\"notShown\":").append(notLoaded.notShown()).append("},\"inFlight\":{\"definitions\":[");
        InFlightShown inFlight = inFlight(registry);
        for (int d = 0; d < inFlight.shown().size(); d++) {
            sb.append(d > 0 ? "," : "").append(Json.string(inFlight.shown().get(d)));
        }
        return sb.append("],\"count\":").append(inFlight.count()).append("}}").toString();
    }

    /** The definitions in flight status names, at most {@link #IN_FLIGHT_SHOWN}, and how many there are. */
    private record InFlightShown(List<String> shown, int count) {
    }

    /** One cut for both forms of status, so that the text and the JSON name the same definitions. */
    private static InFlightShown inFlight(PatchRegistry registry) {
        List<String> all = registry.definitionsInFlight();
        return new InFlightShown(all.subList(0, Math.min(IN_FLIGHT_SHOWN, all.size())), all.size());
    }

    /** {@code {"source":..,"sha256":..,"signer":..,"builds":{..},"loadedAt":..,"loadedBy":..}}, or {@code null}. */
    private static void appendProvenance(StringBuilder sb, Provenance p) {
        if (p == null) {
            sb.append("null"); // a handle of another registry: not one that status lists
            return;
        }
        sb.append("{\"source\":").append(Json.string(p.source()))
                .append(",\"sha256\":").append(Json.string(p.sha256()))
                .append(",\"signer\":").append(Json.string(p.signer()))
                .append(",\"builds\":{");
        int i = 0;
        for (Map.Entry<String, String> b : new TreeMap<>(p.builds()).entrySet()) {
            sb.append(i++ > 0 ? "," : "").append(Json.string(b.getKey())).append(':').append(Json.string(b.getValue()));
        }
        sb.append("},\"loadedAt\":").append(Json.string(String.valueOf(p.loadedAt())))
                .append(",\"loadedBy\":").append(Json.string(p.requester())).append('}');
    }

    static String text(PatchRegistry registry) {
        List<PatchHandle> patches = registry.patches();
        StringBuilder sb = new StringBuilder();
        sb.append("pid ").append(ProcessHandle.current().pid()).append(": ");
        if (patches.isEmpty()) {
            sb.append("no patches registered\n");
        } else {
            sb.append(patches.size()).append(patches.size() == 1 ? " patch" : " patches").append('\n');
        }
        sb.append("  ").append(trustLine(TrustPolicy.current())).append('\n');
        String auditFile = AuditFile.file();
        if (auditFile != null) {
            String problem = AuditFile.problem();
            String notWritten = AuditFile.notWritten();
            sb.append("  audit file: ").append(Text.clean(auditFile))
                    .append(problem == null ? "" : ", problem: " + Text.clean(problem))
                    .append(notWritten.isEmpty() ? "" : "; " + Text.clean(notWritten)).append('\n');
        }
        for (String opening : ModuleOpenings.all()) {
            sb.append("  opened: ").append(Text.clean(opening)).append('\n');
        }
        ReconcileStatus watch = ReconcileStatus.current();
        if (!watch.directory().isEmpty()) {
            sb.append("  watching ").append(Text.clean(watch.directory())).append(": ").append(Text.clean(watch.state()))
                    .append("; desired: ").append(watch.desired().isEmpty() ? "no patch" : Text.clean(watch.desired()))
                    .append(watch.lastReconcile() == 0 ? "" : "; last reconcile "
                            + Instant.ofEpochMilli(watch.lastReconcile())).append('\n');
        }
        for (String line : notLoadedLines(notLoaded(registry))) {
            sb.append("  ").append(line).append('\n');
        }
        InFlightShown inFlight = inFlight(registry);
        if (inFlight.count() > 0) {
            int more = inFlight.count() - inFlight.shown().size();
            sb.append("  in flight: ").append(Text.clean(String.join(", ", inFlight.shown())))
                    .append(more > 0 ? " and " + more + " more" : "")
                    .append(": defined while the patches changed, not seen loaded yet; hooked as the patches want once"
                            + " loaded (looked for each second, for at most 10 minutes)\n");
        }
        int order = 0;
        for (PatchHandle p : patches) {
            order++;
            sb.append("  ").append(order).append(". ").append(Text.clean(p.name())).append(" [")
                    .append(p.isEnabled() ? "enabled" : "disabled")
                    .append(p.inTransition() ? ", in transition" : "")
                    .append(registry.isForced(p) ? ", forced" : "")
                    .append(p.patch().replace() ? ", cumulative" : "").append("]\n");
            for (String w : registry.waitingThreads(p)) {
                sb.append("     waiting: ").append(Text.clean(w)).append('\n');
            }
            String endFailure = registry.transitionEndFailure(p);
            if (endFailure != null) {
                sb.append("     ending the transition failed, retrying: ").append(Text.clean(endFailure)).append('\n');
            }
            String closing = registry.closingCallback(p);
            if (closing != null) {
                sb.append("     closing callback running: ").append(Text.clean(closing))
                        .append(": every thread has moved; the transition ends when it returns\n");
            }
            if (!p.patch().description().isEmpty()) {
                sb.append("     ").append(Text.clean(p.patch().description())).append('\n');
            }
            for (String line : provenanceLines(registry.provenance(p))) {
                sb.append("     ").append(line).append('\n');
            }
            for (String line : callbackLines(registry, p)) {
                sb.append("     ").append(line).append('\n');
            }
            for (String line : functionLines(p)) {
                sb.append("     ").append(line).append('\n');
            }
        }
        List<ForcedPatch> gone = registry.forcedAndUnregistered();
        if (!gone.isEmpty()) {
            sb.append("  forced, then unregistered (threads inside them when forced may still run their code):\n");
            for (ForcedPatch g : gone) {
                sb.append("     ").append(Text.clean(g.name())).append(": ").append(Text.clean(g.how())).append(' ')
                        .append(g.unregisteredAt())
                        .append(g.sha256().isEmpty() ? "" : ", sha256 " + Text.clean(g.sha256()))
                        .append(g.source().isEmpty() ? "" : ", from " + Text.clean(g.source())).append('\n');
            }
        }
        return sb.toString();
    }

    /** The JARs of a patches=<dir> not loaded, without those a registered patch was loaded from since. */
    static StartupJars.Snapshot notLoaded(PatchRegistry registry) {
        List<Provenance> registered = new ArrayList<>();
        for (PatchHandle p : registry.patches()) {
            Provenance provenance = registry.provenance(p);
            if (provenance != null) {
                registered.add(provenance);
            }
        }
        return StartupJars.snapshot(registered);
    }

    /**
     * The JARs of a patches=<dir> that are not loaded, one line each, labelled by who gave the
     * directory: without them the operator counts fewer patches than JARs and must search the log.
     */
    static List<String> notLoadedLines(StartupJars.Snapshot notLoaded) {
        List<String> lines = new ArrayList<>();
        if (notLoaded.notShown() > 0) {
            lines.add("not loaded: " + notLoaded.notShown() + " more JARs of patches=<dir> not shown (the last "
                    + notLoaded.entries().size() + " are; the log has every one)");
        }
        for (StartupJars.Entry e : notLoaded.entries()) {
            lines.add(e.by() + ": " + e.state() + " " + Text.clean(e.jar()) + ": " + Text.clean(e.reason()));
        }
        return lines;
    }

    /** The patch's states, its callbacks' classes and their last failure, cleaned; nothing for a patch with none. */
    static List<String> callbackLines(PatchRegistry registry, PatchHandle p) {
        List<String> lines = new ArrayList<>();
        if (!p.patch().states().isEmpty()) {
            lines.add("states: " + String.join(" ", states(p)));
        }
        if (!p.patch().callbacks().isEmpty()) {
            lines.add("callbacks: " + Text.clean(String.join(", ", p.patch().callbacks().keySet())));
        }
        String failure = registry.lastCallbackFailure(p);
        if (failure != null) {
            lines.add("last callback failure: " + Text.clean(failure));
        }
        return lines;
    }

    /** {@code id:version} per state, as the manifest's {@code Livepatch-States} writes them. */
    static List<String> states(PatchHandle p) {
        List<String> out = new ArrayList<>();
        for (Patch.State st : p.patch().states()) {
            out.add(st.id() + ":" + st.version());
        }
        return out;
    }

    /** What the policy verifies; said in so many words when it verifies nothing. */
    private static String trustLine(TrustPolicy trust) {
        String described = Text.clean(trust.describe());
        return trust.enforced() || described.startsWith(NOT_VERIFIED) ? described : NOT_VERIFIED + ": " + described;
    }

    /** Where the patch came from, cleaned: file and content, signer, builds, when and by whom. */
    static List<String> provenanceLines(Provenance p) {
        List<String> lines = new ArrayList<>();
        if (p == null) {
            return lines;
        }
        if (p.source().isEmpty() && p.sha256().isEmpty()) {
            lines.add("from: code (no patch JAR)");
        } else {
            lines.add("from: " + Text.clean(p.source()) + " sha256 " + Text.clean(p.sha256()));
            lines.add("signer: " + (p.signer().isEmpty() ? "unsigned" : Text.clean(p.signer())));
        }
        for (Map.Entry<String, String> b : new TreeMap<>(p.builds()).entrySet()) {
            lines.add("build: " + Text.clean(b.getKey()) + " " + Text.clean(b.getValue()));
        }
        lines.add("loaded: " + p.loadedAt() + " by " + Text.clean(p.requester()));
        return lines;
    }

    /** One cleaned line per function and class loader, for the text status and {@code PatchMBean.getFunctions}. */
    static List<String> functionLines(PatchHandle p) {
        List<String> lines = new ArrayList<>();
        for (FunctionStatus f : p.functions()) {
            if (f.loaders().isEmpty()) {
                lines.add(Text.clean(f.target()) + ": pending (class not loaded)");
            }
            for (FunctionStatus.LoaderStatus l : f.loaders()) {
                lines.add(Text.clean(f.target()) + " [" + Text.clean(l.classLoader()) + "]: "
                        + FailedFunctions.word(l.state())
                        + (l.detail().isEmpty() ? "" : " (" + Text.clean(l.detail()) + ")"));
            }
        }
        return lines;
    }
}
