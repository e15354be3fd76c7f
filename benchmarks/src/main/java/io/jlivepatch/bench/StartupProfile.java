package io.jlivepatch.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Where the agent's start-up goes: not a benchmark, a profile ({@code benchmarks/run.sh profile}).
 * Starts the JVMs of {@link StartupCost}'s {@code agent}, {@code agentOnePatch} and {@code agentTenPatches} variants with
 * {@link StartupSampler} as a first agent (a wall-clock sample of the {@code main} thread every
 * millisecond until the application's {@code main}) and reports, averaged over the runs:
 * <ol>
 *   <li>time per phase: each sample is charged to the innermost frame of a list of jlivepatch's
 *       steps (reading a patch JAR, resolving, a transition's start, logging, auditing, ...), and
 *       the share of samples under a class loader's {@code loadClass};</li>
 *   <li>the methods of jlivepatch with the largest inclusive share, and the leaf frames with the
 *       largest self share;</li>
 *   <li>from one more run of each variant (and of {@code emptyAgent}) with
 *       {@code -Xlog:class+load:file=...:uptime}: when premain starts and ends, and the classes
 *       loaded in between by origin (the CDS archive or not) and by package group.</li>
 * </ol>
 * The collapsed stacks (flame-graph input, microseconds per stack over all runs) go next to the
 * report, {@code <out>.<variant>.collapsed}.
 *
 * <pre>java -cp benchmarks.jar io.jlivepatch.bench.StartupProfile &lt;agent.jar&gt; &lt;runs&gt; &lt;out.txt&gt;</pre>
 */
public final class StartupProfile {

    static final String[] PROFILED = {"agent", "agentOnePatch", "agentTenPatches"};

    /**
     * Phases, matched from the leaf of a stack to its root: the first frame that starts with one of
     * these prefixes names the sample's phase. Order matters only between prefixes of one frame.
     */
    static final String[][] PHASES = {
            {"java.util.logging.", "logging (java.util.logging)"},
            {"sun.util.logging.", "logging (java.util.logging)"},
            {"io.jlivepatch.internal.CleanLogger.", "logging (java.util.logging)"},
            {"io.jlivepatch.internal.Log.", "logging (java.util.logging)"},
            {"io.jlivepatch.internal.core.AuditLog.", "audit record"},
            {"io.jlivepatch.internal.core.AuditFile.", "audit record"},
            {"io.jlivepatch.internal.trust.", "JAR signature check"},
            {"io.jlivepatch.internal.jar.PatchJarBytes.read", "patch JAR: read file, digest"},
            {"io.jlivepatch.internal.jar.PatchJar.read", "patch JAR: parse, check classes"},
            {"io.jlivepatch.internal.jar.PatchJarLoader.", "patch JAR: define classes, scan"},
            {"io.jlivepatch.internal.core.PatchRegistry.prepare", "patch JAR: other"},
            {"io.jlivepatch.internal.transition.TransitionWorker.", "transition: worker thread"},
            {"io.jlivepatch.internal.transition.Transition.", "transition: thread states, stacks"},
            {"io.jlivepatch.internal.patch.HookManager.", "hooks: retransform, relink"},
            {"io.jlivepatch.internal.core.PatchRegistry.startTransition", "transition: other"},
            {"io.jlivepatch.internal.core.PatchRegistry.tryComplete", "transition: other"},
            {"io.jlivepatch.internal.patch.LoadedClasses.", "loaded-classes scan"},
            {"io.jlivepatch.internal.core.PatchRegistry.resolve", "resolve/check patch"},
            {"io.jlivepatch.internal.core.PatchRegistry.checkClassesLoadedSince", "resolve/check patch"},
            {"io.jlivepatch.internal.core.PatchRegistry.", "registry: other"},
            {"io.jlivepatch.internal.core.RegisteredPatch.", "registry: other"},
            {"io.jlivepatch.internal.control.", "control (JMX, socket) start"},
            {"io.jlivepatch.agent.StartupPatches.", "StartupPatches: other"},
            {"io.jlivepatch.internal.patch.", "Livepatch.install: hooks, bootstrap path"},
            {"io.jlivepatch.internal.bootstrap.", "Livepatch.install: hooks, bootstrap path"},
            {"io.jlivepatch.Livepatch.install", "Livepatch.install: other"},
            {"io.jlivepatch.", "jlivepatch: other"},
    };

    private StartupProfile() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: StartupProfile <jlivepatch-agent.jar> <runs> <out.txt>");
            System.exit(2);
        }
        Path agent = Paths.get(args[0]).toAbsolutePath();
        int runs = Integer.parseInt(args[1]);
        Path out = Paths.get(args[2]).toAbsolutePath();
        Path work = Files.createTempDirectory("jlivepatch-startup-profile");
        try {
            StringBuilder report = new StringBuilder();
            run(agent, runs, out, work, report);
            Files.writeString(out, report);
            System.out.print(report);
        } finally {
            StartupCost.deleteTree(work);
        }
    }

    private static void run(Path agent, int runs, Path out, Path work, StringBuilder report) throws Exception {
        Map<String, List<String>> commands = StartupCost.commands(agent, work);
        Path sampler = samplerJar(work.resolve("sampler.jar"));
        Path stderr = work.resolve("stderr.txt");
        report.append(String.format("StartupProfile on %s: %d sampled runs per variant (after 1 unrecorded),"
                + " main thread sampled every 1 ms (wall clock) from the first agent's premain to the app's main%n",
                System.getProperty("java.version"), runs));
        for (String v : PROFILED) {
            Map<String, Long> stacks = new TreeMap<>(); // stack -> microseconds
            long total = 0;
            int samples = 0;
            for (int r = -1; r < runs; r++) {
                Path file = work.resolve("samples-" + v + "-" + r + ".txt");
                StartupCost.runOnce(withFirst(commands.get(v), "-javaagent:" + sampler + "=" + file),
                        StartupCost.expectPatched(v), stderr);
                if (r < 0) {
                    continue;
                }
                List<String> lines = Files.readAllLines(file);
                samples += Integer.parseInt(lines.get(1).split(" ")[1]);
                for (String line : lines.subList(2, lines.size())) {
                    int tab = line.indexOf('\t');
                    long micros = Long.parseLong(line.substring(0, tab));
                    stacks.merge(line.substring(tab + 1), micros, Long::sum);
                    total += micros;
                }
            }
            writeCollapsed(Paths.get(out + "." + v + ".collapsed"), stacks);
            report.append(String.format("%n== %s: %s%n", v, String.join(" ", commands.get(v)).replace(work.toString(), "<tmp>")));
            report.append(String.format("%d samples in %d runs, %.2f ms apart on average: %.1f ms a run from the"
                    + " sampler's premain to main%n", samples, runs, total / 1e3 / Math.max(1, samples), total / 1e3 / runs));
            phases(stacks, total, runs, report);
            methods(stacks, total, runs, report);
        }
        report.append(String.format("%n== classes loaded (one run each, -Xlog:class+load; a background thread's"
                + " loads count in the window they fall in)%n"));
        for (String v : new String[] {"emptyAgent", "agent", "agentOnePatch", "agentTenPatches"}) {
            Path log = work.resolve("classload-" + v + ".log");
            StartupCost.runOnce(withFirst(commands.get(v), "-Xlog:class+load=info:file=" + log + ":uptime"),
                    StartupCost.expectPatched(v), stderr);
            classLoads(v, Files.readAllLines(log), report);
        }
    }

    private static List<String> withFirst(List<String> command, String option) {
        List<String> c = new ArrayList<>(command);
        c.add(1, option);
        return c;
    }

    private static String phaseOf(String[] frames) {
        for (int i = frames.length - 1; i >= 0; i--) {
            for (String[] p : PHASES) {
                if (frames[i].startsWith(p[0])) {
                    return p[1];
                }
            }
        }
        for (String f : frames) {
            if (f.startsWith("sun.instrument.") || f.startsWith("java.lang.instrument.")) {
                return "JVM: agent machinery, no jlivepatch frame";
            }
        }
        return "JVM: no jlivepatch frame";
    }

    private static boolean loadingClasses(String[] frames) {
        for (String f : frames) {
            if (f.equals("java.lang.ClassLoader.loadClass") || f.startsWith("jdk.internal.loader.BuiltinClassLoader.")) {
                return true;
            }
        }
        return false;
    }

    private static void phases(Map<String, Long> stacks, long total, int runs, StringBuilder report) {
        Map<String, long[]> byPhase = new LinkedHashMap<>();
        for (Map.Entry<String, Long> e : stacks.entrySet()) {
            String[] frames = e.getKey().split(";");
            long[] c = byPhase.computeIfAbsent(phaseOf(frames), k -> new long[2]);
            c[0] += e.getValue();
            if (loadingClasses(frames)) {
                c[1] += e.getValue();
            }
        }
        report.append(String.format("-- time per phase (innermost matching frame), ms a run, share of samples,"
                + " and of that under ClassLoader.loadClass%n"));
        byPhase.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
                .forEach(e -> report.append(String.format("  %-48s %7.1f ms  %5.1f%%  (loading classes %5.1f ms)%n",
                        e.getKey(), e.getValue()[0] / 1e3 / runs, 100.0 * e.getValue()[0] / total,
                        e.getValue()[1] / 1e3 / runs)));
    }

    private static void methods(Map<String, Long> stacks, long total, int runs, StringBuilder report) {
        Map<String, Long> inclusive = new TreeMap<>();
        Map<String, Long> self = new TreeMap<>();
        for (Map.Entry<String, Long> e : stacks.entrySet()) {
            String[] frames = e.getKey().split(";");
            Set<String> seen = new HashSet<>();
            for (String f : frames) {
                if (f.startsWith("io.jlivepatch.") && seen.add(lambdaless(f))) {
                    inclusive.merge(lambdaless(f), e.getValue(), Long::sum);
                }
            }
            self.merge(lambdaless(frames[frames.length - 1]), e.getValue(), Long::sum);
        }
        report.append(String.format("-- jlivepatch methods, inclusive (ms a run, share of the time)%n"));
        top(inclusive, 30, total, runs, report);
        report.append(String.format("-- leaf frames, self (ms a run, share of the time)%n"));
        top(self, 20, total, runs, report);
    }

    /** A lambda's frame without the address that differs from run to run. */
    private static String lambdaless(String frame) {
        int at = frame.indexOf("$$Lambda$");
        if (at < 0) {
            return frame;
        }
        int dot = frame.lastIndexOf('.');
        return frame.substring(0, at) + "$$Lambda" + (dot > at ? frame.substring(dot) : "");
    }

    private static void top(Map<String, Long> micros, int n, long total, int runs, StringBuilder report) {
        micros.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(n)
                .forEach(e -> report.append(String.format("  %7.1f ms  %5.1f%%  %s%n", e.getValue() / 1e3 / runs,
                        100.0 * e.getValue() / total, e.getKey())));
    }

    /**
     * The class-load log's summary: premain's window (first jlivepatch or agent class to the app's
     * class) and the classes loaded in it by origin and group.
     */
    private static void classLoads(String variant, List<String> log, StringBuilder report) {
        double first = -1;
        double startupPatches = -1;
        double app = -1;
        List<String[]> entries = new ArrayList<>(); // {time, class, source}
        for (String line : log) {
            // [0.139s] io.jlivepatch.agent.AgentMain source: file:/...
            int close = line.indexOf("s] ");
            if (!line.startsWith("[") || close < 0) {
                continue;
            }
            double t = Double.parseDouble(line.substring(1, close));
            String rest = line.substring(close + 3);
            int space = rest.indexOf(' ');
            String name = space < 0 ? rest : rest.substring(0, space);
            int src = rest.indexOf("source: ");
            String source = src < 0 ? "" : rest.substring(src + "source: ".length());
            entries.add(new String[] {Double.toString(t), name, source});
            if (first < 0 && (name.startsWith("io.jlivepatch.") || name.startsWith("bench.startup.EmptyAgent"))) {
                first = t;
            }
            if (startupPatches < 0 && name.equals("io.jlivepatch.agent.StartupPatches")) {
                startupPatches = t;
            }
            if (app < 0 && name.equals("bench.startup.StartupApp")) {
                app = t;
            }
        }
        report.append(String.format("%s: %d classes in all; first agent class at %.3f s, StartupPatches at %s,"
                + " the app's class at %.3f s: %.0f ms from premain to main%n", variant, entries.size(), first,
                startupPatches < 0 ? "-" : String.format("%.3f s", startupPatches), app, (app - first) * 1000));
        Map<String, Integer> origin = new TreeMap<>();
        Map<String, Integer> group = new TreeMap<>();
        int window = 0;
        for (String[] e : entries) {
            double t = Double.parseDouble(e[0]);
            if (t < first || t > app) {
                continue;
            }
            window++;
            String s = e[2];
            origin.merge(s.startsWith("shared objects file") ? "CDS archive" : s.startsWith("jrt:/") ? "jrt (not archived)"
                    : s.contains("jlivepatch-agent.jar") ? "agent JAR" : s.contains("jlivepatch-boot-") ? "boot JAR"
                    : s.contains(".jar") ? "other JAR" : "defined at run time (lambdas, hidden, patch classes)",
                    1, Integer::sum);
            group.merge(groupOf(e[1]), 1, Integer::sum);
        }
        report.append(String.format("  %d loaded from premain to main; by origin: %s%n  by group: %s%n", window,
                origin, group));
    }

    private static String groupOf(String name) {
        String[][] groups = {
                {"io.jlivepatch.", "jlivepatch"},
                {"java.util.logging.", "logging"}, {"sun.util.logging.", "logging"}, {"jdk.internal.logger.", "logging"},
                {"javax.management.", "JMX"}, {"com.sun.jmx.", "JMX"}, {"sun.management.", "JMX"},
                {"jdk.management.", "JMX"}, {"java.lang.management.", "JMX"}, {"com.sun.management.", "JMX"},
                {"jdk.jfr.", "JFR"},
                {"java.lang.invoke.", "invoke, lambdas"}, {"jdk.internal.org.objectweb.", "invoke, lambdas"},
                {"java.util.jar.", "JAR, zip, security"}, {"java.util.zip.", "JAR, zip, security"},
                {"sun.security.", "JAR, zip, security"}, {"java.security.", "JAR, zip, security"},
                {"jdk.internal.", "other JDK internal"}, {"sun.", "other JDK internal"},
                {"java.", "other java.*"}, {"javax.", "other java.*"},
        };
        for (String[] g : groups) {
            if (name.startsWith(g[0])) {
                return g[1];
            }
        }
        return name.contains("$$Lambda") ? "invoke, lambdas" : "other";
    }

    private static void writeCollapsed(Path file, Map<String, Long> stacks) throws IOException {
        StringBuilder sb = new StringBuilder();
        stacks.forEach((k, v) -> sb.append(k).append(' ').append(v).append('\n'));
        Files.writeString(file, sb);
    }

    /** A JAR holding {@link StartupSampler} alone, as an agent. */
    private static Path samplerJar(Path jar) throws IOException {
        Manifest manifest = new Manifest();
        Attributes a = manifest.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Premain-Class", StartupSampler.class.getName());
        String entry = StartupSampler.class.getName().replace('.', '/') + ".class";
        try (OutputStream out = Files.newOutputStream(jar);
             JarOutputStream jos = new JarOutputStream(out, manifest);
             InputStream in = StartupProfile.class.getClassLoader().getResourceAsStream(entry)) {
            jos.putNextEntry(new JarEntry(entry));
            jos.write(in.readAllBytes());
            jos.closeEntry();
        }
        return jar;
    }
}
