package io.jlivepatch.internal.control;

import io.jlivepatch.FunctionStatus;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.core.PatchRegistry;

import java.util.List;

/**
 * What {@code jlivepatch status} prints, like {@code canonical-livepatch status}. The text forms
 * {@link Text#clean clean} every name, description, thread and detail, so that each line of the
 * report is one line on the terminal; the JSON form escapes through {@link Json}.
 */
final class StatusReport {

    private StatusReport() {
    }

    static String json(PatchRegistry registry) {
        List<PatchHandle> patches = registry.patches();
        StringBuilder sb = new StringBuilder("{\"pid\":").append(ProcessHandle.current().pid()).append(",\"patches\":[");
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
                    .append(",\"waiting\":[")
                    .append(String.join(",", registry.waitingThreads(p).stream().map(Json::string).toList()))
                    .append(']')
                    .append(",\"functions\":[");
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
        return sb.append("]}").toString();
    }

    static String text(PatchRegistry registry) {
        List<PatchHandle> patches = registry.patches();
        StringBuilder sb = new StringBuilder();
        sb.append("pid ").append(ProcessHandle.current().pid()).append(": ");
        if (patches.isEmpty()) {
            return sb.append("no patches registered\n").toString();
        }
        sb.append(patches.size()).append(patches.size() == 1 ? " patch" : " patches").append('\n');
        int order = 0;
        for (PatchHandle p : patches) {
            order++;
            sb.append("  ").append(order).append(". ").append(Text.clean(p.name())).append(" [")
                    .append(p.isEnabled() ? "enabled" : "disabled")
                    .append(p.inTransition() ? ", in transition" : "")
                    .append(registry.isForced(p) ? ", forced" : "").append("]\n");
            for (String w : registry.waitingThreads(p)) {
                sb.append("     waiting: ").append(Text.clean(w)).append('\n');
            }
            if (!p.patch().description().isEmpty()) {
                sb.append("     ").append(Text.clean(p.patch().description())).append('\n');
            }
            for (String line : functionLines(p)) {
                sb.append("     ").append(line).append('\n');
            }
        }
        return sb.toString();
    }

    /** One cleaned line per function and class loader, for the text status and {@code PatchMBean.getFunctions}. */
    static List<String> functionLines(PatchHandle p) {
        List<String> lines = new java.util.ArrayList<>();
        for (FunctionStatus f : p.functions()) {
            if (f.loaders().isEmpty()) {
                lines.add(Text.clean(f.target()) + ": pending (class not loaded)");
            }
            for (FunctionStatus.LoaderStatus l : f.loaders()) {
                lines.add(Text.clean(f.target()) + " [" + Text.clean(l.classLoader()) + "]: "
                        + l.state().name().toLowerCase().replace('_', ' ')
                        + (l.detail().isEmpty() ? "" : " (" + Text.clean(l.detail()) + ")"));
            }
        }
        return lines;
    }
}
