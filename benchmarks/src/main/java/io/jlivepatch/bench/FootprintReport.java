package io.jlivepatch.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The text and JSON output of {@link Footprint}. */
final class FootprintReport {

    private FootprintReport() {
    }

    static String kb(long bytes) {
        return String.format(Locale.ROOT, "%.0f KB", bytes / 1024.0);
    }

    private static String signedKb(long bytes) {
        return String.format(Locale.ROOT, "%+.0f KB", bytes / 1024.0);
    }

    static String text(List<Footprint.Step> steps, Set<String> patchClasses) {
        StringBuilder sb = new StringBuilder();
        sb.append("JDK ").append(Runtime.version()).append('\n');
        for (Footprint.Step s : steps) {
            sb.append("\n[").append(s.scenario()).append("] ").append(s.name()).append('\n');
            sb.append("  classes defined: ").append(s.classes().size()).append(" (").append(hidden(s.classes()))
                    .append(" hidden)\n");
            for (Map.Entry<String, Integer> e : FootprintClasses.count(s.classes(), patchClasses).entrySet()) {
                if (e.getValue() > 0) {
                    sb.append(String.format(Locale.ROOT, "    %5d  %s%n", e.getValue(), e.getKey()));
                }
            }
            if (s.before() == s.after()) {
                sb.append("  metaspace (baseline): committed ").append(kb(s.after().committed())).append(", used ")
                        .append(kb(s.after().used())).append(", ").append(s.after().classes()).append(" classes\n");
                continue;
            }
            sb.append("  metaspace: committed ").append(signedKb(s.after().committed() - s.before().committed()))
                    .append(", used ").append(signedKb(s.after().used() - s.before().used()))
                    .append(" (committed ").append(kb(s.before().committed())).append(" -> ")
                    .append(kb(s.after().committed())).append(")\n");
            sb.append("  metaspace used per class loader:\n");
            for (Map.Entry<String, Long> e : loaderDelta(s).entrySet()) {
                if (Math.abs(e.getValue()) >= 512) {
                    sb.append(String.format(Locale.ROOT, "    %8s  %s%n", signedKb(e.getValue()), e.getKey()));
                }
            }
        }
        sb.append("\n| step | classes | io.jlivepatch (own + lambdas) | shaded ASM | shaded picocli | patch (+ retransformed) | JDK"
                + " | metaspace committed | metaspace used |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Footprint.Step s : steps) {
            if (s.before() == s.after()) {
                continue;
            }
            Map<String, Integer> c = FootprintClasses.count(s.classes(), patchClasses);
            int own = c.get(FootprintClasses.OWN) + c.get(FootprintClasses.OWN_HIDDEN);
            int jdk = s.classes().size() - own - c.get(FootprintClasses.ASM) - c.get(FootprintClasses.PICOCLI)
                    - c.get(FootprintClasses.PATCH) - c.get(FootprintClasses.RETRANSFORMED);
            sb.append(String.format(Locale.ROOT, "| %s: %s | %d | %d + %d | %d | %d | %d + %d | %d | %s | %s |%n",
                    s.scenario(), s.name(), s.classes().size(), c.get(FootprintClasses.OWN),
                    c.get(FootprintClasses.OWN_HIDDEN), c.get(FootprintClasses.ASM), c.get(FootprintClasses.PICOCLI),
                    c.get(FootprintClasses.PATCH), c.get(FootprintClasses.RETRANSFORMED), jdk, signedKb(s.after().committed() - s.before().committed()),
                    signedKb(s.after().used() - s.before().used())));
        }
        return sb.toString();
    }

    static String json(List<Footprint.Step> steps, Set<String> patchClasses, List<String> targetOptions) {
        StringBuilder sb = new StringBuilder("{\n  \"jdk\": \"").append(Runtime.version()).append("\",\n");
        sb.append("  \"targetOptions\": \"").append(String.join(" ", targetOptions).replace("\"", "'")).append("\",\n");
        sb.append("  \"steps\": [");
        String sep = "\n";
        for (Footprint.Step s : steps) {
            sb.append(sep).append("    {\"scenario\": \"").append(s.scenario()).append("\", \"step\": \"")
                    .append(s.name()).append("\", \"classes\": ").append(s.classes().size())
                    .append(", \"hidden\": ").append(hidden(s.classes()));
            sb.append(", \"byCategory\": {");
            String csep = "";
            for (Map.Entry<String, Integer> e : FootprintClasses.count(s.classes(), patchClasses).entrySet()) {
                sb.append(csep).append('"').append(e.getKey()).append("\": ").append(e.getValue());
                csep = ", ";
            }
            sb.append("}, \"metaspaceCommittedBefore\": ").append(s.before().committed())
                    .append(", \"metaspaceCommittedAfter\": ").append(s.after().committed())
                    .append(", \"metaspaceUsedBefore\": ").append(s.before().used())
                    .append(", \"metaspaceUsedAfter\": ").append(s.after().used()).append('}');
            sep = ",\n";
        }
        return sb.append("\n  ]\n}\n").toString();
    }

    private static long hidden(List<String> classes) {
        return classes.stream().filter(FootprintClasses::hidden).count();
    }

    private static Map<String, Long> loaderDelta(Footprint.Step s) {
        Map<String, Long> out = new TreeMap<>();
        s.after().byLoader().forEach((k, v) -> out.merge(k, v, Long::sum));
        s.before().byLoader().forEach((k, v) -> out.merge(k, -v, Long::sum));
        return out;
    }
}
