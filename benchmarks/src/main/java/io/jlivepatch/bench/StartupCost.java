package io.jlivepatch.bench;

import bench.startup.StartupApp;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * What does the agent add to start-up? Times a tiny application ({@link StartupApp}) from process
 * start to the first line its {@code main} prints, in a JVM of its own, these ways:
 * <ul>
 *   <li>{@code noAgent}: {@code java -cp <app> bench.startup.StartupApp};</li>
 *   <li>{@code emptyAgent}: with {@code -javaagent:} an agent generated here whose {@code premain} does
 *       nothing (same manifest capabilities as jlivepatch's): what any Java agent costs, the physical
 *       limit of the two below;</li>
 *   <li>{@code agent}: the same with {@code -javaagent:jlivepatch-agent.jar};</li>
 *   <li>{@code agentTenPatches}: with {@code -javaagent:jlivepatch-agent.jar=patches=<dir>}, the directory
 *       holding 10 patch JARs generated here ({@link PatchJars}), each replacing one of the app's ten
 *       methods; the app then reports {@code patched=10} (checked: 0 for the other two);</li>
 *   <li>{@code agentOnePatch}: the same with a directory holding the first of those JARs alone
 *       ({@code patched=1}): what the first patch costs (jlivepatch's code loaded and run cold), set
 *       apart from what each further one adds.</li>
 *   <li>{@code floorAgentNoPatches}, {@code floorAgentOnePatch}, {@code floorAgentTenPatches}: an empty
 *       directory and the same one and ten JARs applied by {@link bench.startup.FloorAgent}, the least an
 *       agent can do to apply them with ASM (read each JAR, find its {@code @Replaces} methods, append it
 *       to the class path and load its class, redirect each method as its class loads), with no check,
 *       dispatch, transition or record: against its own empty directory, the floor of what patches at
 *       start-up can cost in this JVM, as {@code emptyAgent} is the floor of an agent.</li>
 * </ul>
 * On JDK 25 and later, four more: {@code noAgent}, {@code emptyAgent}, {@code agent} and
 * {@code agentTenPatches} with an AOT cache ({@code -XX:AOTCache}, JEP 483/514),
 * each recorded once by a training run of its own command ({@code -XX:AOTCacheOutput}, not timed), the
 * application as a JAR (a cache takes no class directory) and, for the agent's two, jlivepatch's JAR
 * on the class path too (its classes are cached only from there): {@code noAgentAot},
 * {@code emptyAgentAot}, {@code agentAot}, {@code agentTenPatchesAot}. What an operator who records a
 * cache gets, next to the JVM's own gain from it.
 * They run in turn, in a shuffled order each round (fixed seed), after unrecorded warm-up rounds
 * (file cache); each run also records the time to process exit. The application directory holds only
 * the app's class, so the agent's classes never meet a second copy of jlivepatch.
 *
 * <pre>java -cp benchmarks.jar io.jlivepatch.bench.StartupCost &lt;agent.jar&gt; &lt;rounds&gt; &lt;out.json&gt; [warm-up rounds]</pre>
 * Exits non-zero when a run fails or reports the wrong number of patched methods.
 */
public final class StartupCost {

    /** The variants with an AOT cache, on a JDK that has one (25+). */
    static final String AOT = "Aot";
    static final boolean HAS_AOT_CACHE = Runtime.version().feature() >= 25;
    static final int PATCHES = 10;

    private StartupCost() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: StartupCost <jlivepatch-agent.jar> <rounds> <out.json> [warm-up rounds]");
            System.exit(2);
        }
        Path agent = Paths.get(args[0]).toAbsolutePath();
        int rounds = Integer.parseInt(args[1]);
        Path out = Paths.get(args[2]);
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        if (!Files.isRegularFile(agent)) {
            System.err.println("StartupCost: no agent JAR at " + agent + ": build it (mvn -B -q -pl agent -am package -DskipTests)");
            System.exit(1);
        }
        Path work = Files.createTempDirectory("jlivepatch-startup");
        try {
            run(agent, rounds, warmup, out, work);
        } finally {
            deleteTree(work);
        }
    }

    /**
     * The variants' commands, over files written to {@code work}: the app's directory, 10 patch JARs
     * (and a directory with the first alone) and the empty agent. {@link StartupProfile} starts the same JVMs.
     */
    static Map<String, List<String>> commands(Path agent, Path work) throws IOException {
        Path app = work.resolve("app");
        String appClass = StartupApp.class.getName().replace('.', '/') + ".class";
        Files.createDirectories(app.resolve(appClass).getParent());
        try (InputStream in = StartupCost.class.getClassLoader().getResourceAsStream(appClass)) {
            Files.write(app.resolve(appClass), in.readAllBytes());
        }
        Path patches = Files.createDirectories(work.resolve("patches"));
        for (int i = 0; i < PATCHES; i++) {
            PatchJars.write(patches.resolve(String.format("fix-%02d.jar", i)), "startup-fix-" + i,
                    "bench.startup.fix.Fix" + i, StartupApp.class.getName(), "greet" + i, PatchJars.STRING_TO_STRING);
        }
        Path emptyAgent = emptyAgent(work.resolve("empty-agent.jar"));
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        Map<String, List<String>> commands = new LinkedHashMap<>();
        commands.put("noAgent", List.of(java, "-cp", app.toString(), StartupApp.class.getName()));
        commands.put("emptyAgent", List.of(java, "-javaagent:" + emptyAgent, "-cp", app.toString(),
                StartupApp.class.getName()));
        commands.put("agent", List.of(java, "-javaagent:" + agent, "-cp", app.toString(), StartupApp.class.getName()));
        commands.put("agentTenPatches", List.of(java, "-javaagent:" + agent + "=patches=" + patches, "-cp", app.toString(),
                StartupApp.class.getName()));
        Path onePatch = Files.createDirectories(work.resolve("one-patch"));
        Files.copy(patches.resolve("fix-00.jar"), onePatch.resolve("fix-00.jar"));
        commands.put("agentOnePatch", List.of(java, "-javaagent:" + agent + "=patches=" + onePatch, "-cp", app.toString(),
                StartupApp.class.getName()));
        Path floorAgent = FloorAgentJar.write(work.resolve("floor-agent.jar"));
        Path noPatches = Files.createDirectories(work.resolve("no-patches"));
        commands.put("floorAgentNoPatches", List.of(java, "-javaagent:" + floorAgent + "=" + noPatches, "-cp",
                app.toString(), StartupApp.class.getName()));
        commands.put("floorAgentOnePatch", List.of(java, "-javaagent:" + floorAgent + "=" + onePatch, "-cp",
                app.toString(), StartupApp.class.getName()));
        commands.put("floorAgentTenPatches", List.of(java, "-javaagent:" + floorAgent + "=" + patches, "-cp",
                app.toString(), StartupApp.class.getName()));
        if (HAS_AOT_CACHE) {
            String appJar = appJar(app, work.resolve("app.jar")).toString();
            String withAgent = appJar + File.pathSeparator + agent;
            commands.put("noAgent" + AOT, aot(work, "noAgent", List.of(java, "-cp", appJar, StartupApp.class.getName())));
            commands.put("emptyAgent" + AOT, aot(work, "emptyAgent", List.of(java, "-javaagent:" + emptyAgent, "-cp",
                    appJar, StartupApp.class.getName())));
            commands.put("agent" + AOT, aot(work, "agent", List.of(java, "-javaagent:" + agent, "-cp", withAgent,
                    StartupApp.class.getName())));
            commands.put("agentTenPatches" + AOT, aot(work, "agentTenPatches", List.of(java, "-javaagent:" + agent
                    + "=patches=" + patches, "-cp", withAgent, StartupApp.class.getName())));
        }
        return commands;
    }

    /** {@code command} with {@code -XX:AOTCache=<work>/<name>.aot} after {@code java}. */
    private static List<String> aot(Path work, String name, List<String> command) {
        List<String> c = new ArrayList<>(command);
        c.add(1, "-XX:AOTCache=" + aotCache(work, name));
        return List.copyOf(c);
    }

    private static Path aotCache(Path work, String variant) {
        return work.resolve(variant.replace(AOT, "") + ".aot");
    }

    /**
     * Records the AOT cache of every AOT variant: one training run of the variant's own command with
     * {@code -XX:AOTCacheOutput} (JDK 25's one-step recording), checked like a timed run.
     */
    static void recordAotCaches(Map<String, List<String>> commands, Path work, Path stderr) throws Exception {
        for (Map.Entry<String, List<String>> e : commands.entrySet()) {
            if (!e.getKey().endsWith(AOT)) {
                continue;
            }
            List<String> training = new ArrayList<>(e.getValue());
            training.set(1, "-XX:AOTCacheOutput=" + aotCache(work, e.getKey()));
            runOnce(training, expectPatched(e.getKey()), stderr);
            if (!Files.isRegularFile(aotCache(work, e.getKey()))) {
                throw new IllegalStateException("StartupCost: no AOT cache recorded by " + String.join(" ", training)
                        + "\nstderr: " + Files.readString(stderr));
            }
        }
    }

    /** The app's directory as a JAR. */
    private static Path appJar(Path app, Path jar) throws IOException {
        String appClass = StartupApp.class.getName().replace('.', '/') + ".class";
        try (java.util.jar.JarOutputStream jos = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
            jos.putNextEntry(new java.util.jar.JarEntry(appClass));
            jos.write(Files.readAllBytes(app.resolve(appClass)));
            jos.closeEntry();
        }
        return jar;
    }

    /** How many of the app's methods each variant must report patched (an AOT variant as its plain one). */
    static final Map<String, Integer> EXPECT_PATCHED = Map.of("noAgent", 0, "emptyAgent", 0, "agent", 0,
            "agentTenPatches", PATCHES, "agentOnePatch", 1, "floorAgentNoPatches", 0, "floorAgentOnePatch", 1,
            "floorAgentTenPatches", PATCHES);

    static int expectPatched(String variant) {
        return EXPECT_PATCHED.get(variant.replace(AOT, ""));
    }

    private static void run(Path agent, int rounds, int warmup, Path out, Path work) throws Exception {
        Map<String, List<String>> commands = commands(agent, work);
        List<String> all = new ArrayList<>(commands.keySet());
        Path stderr = work.resolve("stderr.txt");
        recordAotCaches(commands, work, stderr);

        Map<String, List<Double>> toMain = new LinkedHashMap<>();
        Map<String, List<Double>> toExit = new LinkedHashMap<>();
        for (String v : all) {
            toMain.put(v, new ArrayList<>());
            toExit.put(v, new ArrayList<>());
        }
        Random random = new Random(42);
        List<String> order = new ArrayList<>(all);
        for (int r = -warmup; r < rounds; r++) {
            Collections.shuffle(order, random);
            for (String v : order) {
                double[] t = runOnce(commands.get(v), expectPatched(v), stderr);
                if (r >= 0) {
                    toMain.get(v).add(t[0]);
                    toExit.get(v).add(t[1]);
                }
            }
        }

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "StartupCost");
        json.put("jvm", Report.jvm());
        json.put("rounds", rounds);
        json.put("warmupRounds", warmup);
        json.put("unit", "ms");
        Map<String, Object> agentJar = new LinkedHashMap<>();
        agentJar.put("path", agent.toString());
        agentJar.put("bytes", Files.size(agent));
        agentJar.put("modified", Files.getLastModifiedTime(agent).toString());
        agentJar.put("sha256", sha256(agent));
        json.put("agentJar", agentJar);
        Map<String, Object> variants = new LinkedHashMap<>();
        for (String v : all) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("command", String.join(" ", commands.get(v)).replace(work.toString(), "<tmp>"));
            m.put("toMain", Report.stats(toMain.get(v)));
            m.put("toExit", Report.stats(toExit.get(v)));
            variants.put(v, m);
        }
        json.put("variants", variants);
        Report.write(out, json);

        System.out.printf("StartupCost on %s, %d rounds (ms from process start to the first line of main; median, mean ± 99.9%% error):%n",
                System.getProperty("java.version"), rounds);
        for (String v : all) {
            // an AOT variant against the AOT ones: the cache's gain for any JVM is not jlivepatch's
            String suffix = v.endsWith(AOT) ? AOT : "";
            double base = (Double) Report.stats(toMain.get("noAgent" + suffix)).get("median");
            double empty = (Double) Report.stats(toMain.get("emptyAgent" + suffix)).get("median");
            Map<String, Object> s = Report.stats(toMain.get(v));
            System.out.printf("  %-18s median %7.1f  mean %7.1f ± %5.1f  added to noAgent%s %+6.1f, to emptyAgent%s %+6.1f%n",
                    v, s.get("median"), s.get("mean"), s.get("error"), suffix, (Double) s.get("median") - base,
                    suffix, (Double) s.get("median") - empty);
        }
        System.out.println("StartupCost: " + out);
    }

    /** One run: {ms to the line "main", ms to exit}. */
    static double[] runOnce(List<String> command, int expectPatched, Path stderr) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(stderr.toFile());
        long start = System.nanoTime();
        Process p = pb.start();
        long atMain = -1;
        int patched = -1;
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (atMain < 0 && line.equals("main")) {
                    atMain = System.nanoTime();
                } else if (line.startsWith("patched=")) {
                    patched = Integer.parseInt(line.substring("patched=".length()));
                }
                lines.add(line);
            }
        }
        int rc = p.waitFor();
        long end = System.nanoTime();
        if (rc != 0 || atMain < 0 || patched != expectPatched) {
            throw new IllegalStateException("StartupCost: " + String.join(" ", command) + " exited " + rc
                    + " with patched=" + patched + " (expected " + expectPatched + ")\nstdout: " + lines
                    + "\nstderr: " + Files.readString(stderr));
        }
        return new double[] {(atMain - start) / 1e6, (end - start) / 1e6};
    }

    /** An agent JAR whose premain does nothing, with the capabilities jlivepatch's manifest asks for. */
    private static Path emptyAgent(Path jar) throws IOException {
        java.util.jar.Manifest manifest = agentManifest("bench.startup.EmptyAgent");
        org.objectweb.asm.ClassWriter cw = new org.objectweb.asm.ClassWriter(org.objectweb.asm.ClassWriter.COMPUTE_MAXS);
        cw.visit(org.objectweb.asm.Opcodes.V11, org.objectweb.asm.Opcodes.ACC_PUBLIC | org.objectweb.asm.Opcodes.ACC_SUPER,
                "bench/startup/EmptyAgent", null, "java/lang/Object", null);
        org.objectweb.asm.MethodVisitor mv = cw.visitMethod(org.objectweb.asm.Opcodes.ACC_PUBLIC
                | org.objectweb.asm.Opcodes.ACC_STATIC, "premain", "(Ljava/lang/String;Ljava/lang/instrument/Instrumentation;)V",
                null, null);
        mv.visitCode();
        mv.visitInsn(org.objectweb.asm.Opcodes.RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        try (java.io.OutputStream out = Files.newOutputStream(jar);
             java.util.jar.JarOutputStream jos = new java.util.jar.JarOutputStream(out, manifest)) {
            jos.putNextEntry(new java.util.jar.JarEntry("bench/startup/EmptyAgent.class"));
            jos.write(cw.toByteArray());
            jos.closeEntry();
        }
        return jar;
    }

    /**
     * The manifest of an agent the benchmark compares jlivepatch with: {@code premainClass} and the
     * capabilities jlivepatch's manifest asks for, which change what the JVM prepares for an agent.
     */
    static java.util.jar.Manifest agentManifest(String premainClass) {
        java.util.jar.Manifest manifest = new java.util.jar.Manifest();
        java.util.jar.Attributes a = manifest.getMainAttributes();
        a.put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Premain-Class", premainClass);
        a.putValue("Can-Redefine-Classes", "true");
        a.putValue("Can-Retransform-Classes", "true");
        return manifest;
    }

    private static String sha256(Path file) throws Exception {
        byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        StringBuilder sb = new StringBuilder();
        for (byte b : d) {
            sb.append(String.format("%02x", b));
        }
        return sb.toString();
    }

    static void deleteTree(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            s.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
