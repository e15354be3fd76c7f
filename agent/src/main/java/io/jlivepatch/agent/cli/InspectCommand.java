package io.jlivepatch.agent.cli;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.control.Json;
import io.jlivepatch.internal.jar.CallbackScanner;
import io.jlivepatch.internal.jar.PatchJar;
import io.jlivepatch.internal.jar.ReplacesScanner;
import io.jlivepatch.internal.trust.Signature;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show what a patch JAR holds and who signed it, without a JVM: name, description,"
                + " functions, held methods, new classes, nestmates, provenance, signer; with --truststore, whether it verifies"
                + " (exit 1 when it does not).")
final class InspectCommand implements Callable<Integer> {

    /** The manifest attributes of the kernel's later features (atomic replace, states): shown as written. */
    static final String REPLACE = PatchJar.REPLACE;
    static final String STATES = PatchJar.STATES;
    static final String NONE = "none";

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "<patch.jar>", description = "the patch JAR")
    Path file;

    @Mixin
    TrustStoreOption trust;

    @Option(names = "--json", description = "print JSON, for programs")
    boolean json;

    /** The outcome of {@code --truststore}, as the trust policy put it (not cleaned). */
    private record Verdict(boolean verified, String text) {
    }

    @Override
    public Integer call() throws Refused {
        boolean verify = trust.given();
        Path path = file.toAbsolutePath().normalize();
        CheckedJar checked = CheckedJar.read(path);
        try {
            CallbackScanner.scan(checked.jar(), targets(checked)); // refused as load would refuse it
        } catch (PatchException e) {
            throw CheckedJar.refusal(e);
        }
        SignerReport signer = SignerReport.of(checked.bytes());
        Verdict verdict = null;
        if (verify) {
            try {
                Signature s = trust.verify(checked.bytes());
                verdict = new Verdict(true, "signed by " + s.signer() + " (certificate SHA-256 "
                        + s.certificateSha256() + ")");
            } catch (PatchException e) {
                verdict = new Verdict(false, e.reason() + ": " + e.getMessage());
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? json(checked, signer, verdict) : text(checked, signer, verdict));
        out.flush();
        return verdict == null || verdict.verified() ? Main.DONE : Main.REFUSED;
    }

    private static String text(CheckedJar checked, SignerReport signer, Verdict verdict) {
        PatchJar jar = checked.jar();
        StringBuilder sb = new StringBuilder();
        sb.append("patch JAR ").append(Text.clean(checked.bytes().source())).append('\n');
        line(sb, "name", Text.clean(jar.name()));
        line(sb, "description", jar.description().isEmpty() ? NONE : Text.clean(jar.description()));
        sb.append("  functions:\n");
        for (ReplacesScanner.Entry e : checked.functions()) {
            sb.append("    ").append(function(e)).append('\n');
        }
        // what load would warn of, before anyone loads it (a reviewer reads inspect's output)
        for (String w : ReplacesScanner.selfCallWarnings(jar, checked.functions())) {
            sb.append("  warning: ").append(Text.clean(w)).append('\n');
        }
        line(sb, "held", jar.holds().isEmpty() ? NONE : Text.clean(String.join(", ", jar.holds())));
        // what a load changes for good, and what gets at the application's private members: shown
        // apart, so that a reviewer need not read the manifest for them
        line(sb, "new classes", jar.newClasses().isEmpty() ? NONE : Text.clean(String.join(", ", jar.newClasses()))
                + " (defined for good in the application's class loader)");
        Map<String, String> nestmates = new java.util.TreeMap<>(jar.nestmates());
        if (nestmates.isEmpty()) {
            line(sb, "nestmates", NONE);
        } else {
            List<String> pairs = new ArrayList<>();
            Set<String> hosts = new java.util.TreeSet<>(nestmates.values());
            nestmates.forEach((carrier, host) -> pairs.add(carrier + "=" + host));
            line(sb, "nestmates", Text.clean(String.join(", ", pairs) + " (private access to "
                    + String.join(", ", hosts) + ")"));
        }
        line(sb, "sha256", checked.bytes().sha256());
        if (jar.builds().isEmpty()) {
            line(sb, "builds", NONE + " recorded");
        } else {
            for (Map.Entry<String, String> b : jar.builds().entrySet()) {
                line(sb, "build", Text.clean(b.getKey()) + " " + Text.clean(b.getValue()));
            }
        }
        List<CallbackScanner.Entry> callbacks = callbacks(checked);
        if (callbacks.isEmpty()) {
            line(sb, "callbacks", NONE);
        } else {
            sb.append("  callbacks:\n");
            Map<String, List<String>> byClass = new LinkedHashMap<>();
            for (CallbackScanner.Entry e : callbacks) {
                byClass.computeIfAbsent(e.target(), k -> new ArrayList<>()).add(e.describe());
            }
            for (Map.Entry<String, List<String>> c : byClass.entrySet()) {
                sb.append("    ").append(Text.clean(c.getKey() + ": " + String.join(", ", c.getValue()))).append('\n');
            }
        }
        line(sb, "cumulative", attribute(signer, REPLACE, NONE));
        line(sb, "states", attribute(signer, STATES, NONE));
        line(sb, "signer", Text.clean(signer.signer()));
        if (verdict != null) {
            sb.append(verdict.verified() ? "  verified: " : "  NOT verified: ").append(Text.clean(verdict.text())).append('\n');
        }
        return sb.toString();
    }

    /** {@code target.method(descriptor) -> patchClass.replacement}, the target's descriptor as loading finds it. */
    private static String function(ReplacesScanner.Entry e) {
        String target = Text.clean(e.target() + "." + e.method());
        String replacement = Text.clean(e.patchClass() + "." + e.replacement());
        if (e.descriptor().isEmpty()) {
            return target + " -> " + replacement + Text.clean(e.replacementDesc())
                    + " (no descriptor given: the one method of that name, chosen at load)";
        }
        return target + Text.clean(e.descriptor()) + " -> " + replacement;
    }

    /** The JAR's callback annotations; {@link CheckedJar#read} has checked them as {@code load} does. */
    private static List<CallbackScanner.Entry> callbacks(CheckedJar checked) {
        try {
            return CallbackScanner.scan(checked.jar(), targets(checked));
        } catch (PatchException e) {
            throw new IllegalStateException(e); // not reached: call() scanned them first
        }
    }

    static Set<String> targets(CheckedJar checked) {
        Set<String> targets = new HashSet<>();
        for (ReplacesScanner.Entry e : checked.functions()) {
            targets.add(e.target());
        }
        return targets;
    }

    private static void line(StringBuilder sb, String key, String value) {
        sb.append("  ").append(key).append(':').append(" ".repeat(Math.max(1, 12 - key.length()))).append(value)
                .append('\n');
    }

    private static String attribute(SignerReport report, String name, String absent) {
        String v = report.mainAttributes().getValue(name);
        return v == null || v.isBlank() ? absent : Text.clean(v.trim());
    }

    private static String json(CheckedJar checked, SignerReport signer, Verdict verdict) {
        PatchJar jar = checked.jar();
        StringBuilder sb = new StringBuilder("{");
        sb.append("\"file\":").append(Json.string(checked.bytes().source()));
        sb.append(",\"sha256\":").append(Json.string(checked.bytes().sha256()));
        sb.append(",\"name\":").append(Json.string(jar.name()));
        sb.append(",\"description\":").append(Json.string(jar.description()));
        sb.append(",\"functions\":[");
        List<ReplacesScanner.Entry> functions = checked.functions();
        for (int i = 0; i < functions.size(); i++) {
            ReplacesScanner.Entry e = functions.get(i);
            sb.append(i > 0 ? "," : "").append("{\"target\":").append(Json.string(e.target()))
                    .append(",\"method\":").append(Json.string(e.method()))
                    .append(",\"descriptor\":").append(Json.string(e.descriptor()))
                    .append(",\"replacement\":").append(Json.string(e.patchClass() + "." + e.replacement()))
                    .append(",\"replacementDescriptor\":").append(Json.string(e.replacementDesc())).append('}');
        }
        sb.append("],\"warnings\":[");
        List<String> warnings = ReplacesScanner.selfCallWarnings(jar, functions);
        for (int i = 0; i < warnings.size(); i++) {
            sb.append(i > 0 ? "," : "").append(Json.string(warnings.get(i)));
        }
        sb.append("],\"held\":[");
        for (int i = 0; i < jar.holds().size(); i++) {
            sb.append(i > 0 ? "," : "").append(Json.string(jar.holds().get(i)));
        }
        sb.append("],\"newClasses\":[");
        for (int i = 0; i < jar.newClasses().size(); i++) {
            sb.append(i > 0 ? "," : "").append(Json.string(jar.newClasses().get(i)));
        }
        sb.append("],\"nestmates\":{");
        boolean firstNestmate = true;
        for (Map.Entry<String, String> n : new java.util.TreeMap<>(jar.nestmates()).entrySet()) {
            sb.append(firstNestmate ? "" : ",").append(Json.string(n.getKey())).append(':')
                    .append(Json.string(n.getValue()));
            firstNestmate = false;
        }
        sb.append("},\"builds\":{");
        boolean first = true;
        for (Map.Entry<String, String> b : jar.builds().entrySet()) {
            sb.append(first ? "" : ",").append(Json.string(b.getKey())).append(':').append(Json.string(b.getValue()));
            first = false;
        }
        sb.append("},\"callbacks\":[");
        List<CallbackScanner.Entry> callbacks = callbacks(checked);
        for (int i = 0; i < callbacks.size(); i++) {
            CallbackScanner.Entry e = callbacks.get(i);
            sb.append(i > 0 ? "," : "").append("{\"class\":").append(Json.string(e.target()))
                    .append(",\"kind\":").append(Json.string(e.kind()))
                    .append(",\"method\":").append(Json.string(e.patchClass() + "." + e.method())).append('}');
        }
        sb.append(']');
        sb.append(",\"cumulative\":").append(jsonAttribute(signer, REPLACE));
        sb.append(",\"states\":").append(jsonAttribute(signer, STATES));
        sb.append(",\"signer\":").append(Json.string(signer.signer()));
        if (verdict != null) {
            sb.append(",\"verified\":").append(verdict.verified());
            sb.append(",\"verification\":").append(Json.string(verdict.text()));
        }
        return sb.append("}\n").toString();
    }

    private static String jsonAttribute(SignerReport report, String name) {
        String v = report.mainAttributes().getValue(name);
        return v == null || v.isBlank() ? "null" : Json.string(v.trim());
    }
}
