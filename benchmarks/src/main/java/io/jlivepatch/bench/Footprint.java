package io.jlivepatch.bench;

import com.sun.tools.attach.VirtualMachine;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * What does jlivepatch's first load cost a running JVM (issue 10)? Starts the demo's FileService
 * ({@link FootprintTarget}), serves one file and one traversal request, waits until it defines no
 * more classes, then measures classes defined ({@code -Xlog:class+load}) and metaspace
 * ({@code jcmd VM.metaspace}, {@code VM.classloader_stats}) around each step of three scenarios,
 * each in a fresh target:
 * <ul>
 *   <li>{@code operator}: {@code java -jar jlivepatch-agent.jar load <pid> <patch.jar>}, what an
 *       operator runs: attach, agent, the JVM's local JMX connector, register, enable, wait;</li>
 *   <li>{@code connector}: first only the JDK's part of that command (attach,
 *       {@code VirtualMachine.startLocalManagementAgent}, one JMX client connecting and asking the
 *       MBean count), then the same {@code load}: what is left is jlivepatch's own part on top of a
 *       connector that is already there;</li>
 *   <li>{@code agent}: first an agent that does nothing (what loading any agent costs: the JDK's
 *       attach and instrument machinery), then {@code loadAgent(jlivepatch-agent.jar, "patches=<dir>")} with the
 *       patch JAR in that directory: attach + install + one patch loaded and enabled, with no JMX
 *       connector and no client (jlivepatch still registers its MBeans in the platform MBean
 *       server): jlivepatch's own first load.</li>
 * </ul>
 * Every scenario checks that the patch works (the traversal request answers 403 after, 200 before).
 * The first {@code jcmd} starts the target's attach listener; its classes are before the baseline
 * and reported on their own line.
 *
 * <pre>java -cp benchmarks.jar io.jlivepatch.bench.Footprint --agent-jar A --demo-jar D --patch-jar P
 *     [--scenarios operator,connector,agent] [--out result.json] [--logs dir] [--probe] [-- target JVM options]</pre>
 * {@code --logs} keeps each scenario's class-load log and the classes each step added.
 * {@code --probe} (for {@code -XX:MaxMetaspaceSize} experiments) runs {@code operator} while a client
 * keeps requesting the served file, and reports what failed instead of exiting non-zero.
 */
public final class Footprint {

    private final Path javaHome = Paths.get(System.getProperty("java.home"));
    private final Path agentJar;
    private final Path demoJar;
    private final Path patchJar;
    private final Set<String> patchClasses;
    private final List<String> targetOptions;
    private final Path logs;

    private Footprint(Path agentJar, Path demoJar, Path patchJar, List<String> targetOptions, Path logs) throws IOException {
        this.agentJar = agentJar;
        this.demoJar = demoJar;
        this.patchJar = patchJar;
        this.targetOptions = targetOptions;
        this.logs = logs;
        this.patchClasses = new HashSet<>();
        try (JarFile jar = new JarFile(patchJar.toFile())) {
            jar.stream().map(e -> e.getName()).filter(n -> n.endsWith(".class") && !n.contains("META-INF"))
                    .forEach(n -> patchClasses.add(n.substring(0, n.length() - 6).replace('/', '.')));
        }
    }

    /** One measured step: the classes it defined and what the metaspace grew by. */
    record Step(String scenario, String name, List<String> classes, FootprintMetaspace before, FootprintMetaspace after) {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new LinkedHashMap<>();
        List<String> targetOptions = new ArrayList<>();
        boolean probe = false;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--")) {
                targetOptions.addAll(List.of(args).subList(i + 1, args.length));
                break;
            } else if (args[i].equals("--probe")) {
                probe = true;
            } else if (args[i].startsWith("--") && i + 1 < args.length) {
                opts.put(args[i].substring(2), args[++i]);
            } else {
                usage("unexpected argument '" + args[i] + "'");
            }
        }
        Path agent = existing(opts, "agent-jar");
        Path demo = existing(opts, "demo-jar");
        Path patch = existing(opts, "patch-jar");
        Path logs = opts.containsKey("logs") ? Files.createDirectories(Paths.get(opts.get("logs"))) : null;
        Footprint f = new Footprint(agent, demo, patch, targetOptions, logs);
        if (probe) {
            System.exit(f.probe() ? 0 : 1);
        }
        List<Step> steps = new ArrayList<>();
        for (String scenario : opts.getOrDefault("scenarios", "operator,connector,agent").split(",")) {
            steps.addAll(f.run(scenario.trim()));
        }
        String report = FootprintReport.text(steps, f.patchClasses);
        System.out.print(report);
        if (opts.containsKey("out")) {
            Files.writeString(Paths.get(opts.get("out")), FootprintReport.json(steps, f.patchClasses, targetOptions));
        }
    }

    private List<Step> run(String scenario) throws Exception {
        Path work = Files.createTempDirectory("jlivepatch-footprint");
        try (FootprintTarget target = FootprintTarget.start(javaHome, demoJar, work, targetOptions)) {
            expect(target.get(FootprintTarget.SERVED), 200, "the served file");
            expect(target.get(FootprintTarget.TRAVERSAL), 200, "the traversal request before the patch");
            int beforeAttach = target.settle();
            FootprintMetaspace base = target.metaspace();
            List<String> lines = target.classLines();
            List<Step> steps = new ArrayList<>();
            steps.add(new Step(scenario, "attach listener (first jcmd; in the baseline)",
                    FootprintClasses.classNames(lines.subList(beforeAttach, lines.size())), base, base));
            int mark = lines.size();
            switch (scenario) {
                case "operator":
                    steps.add(step(target, scenario, "jlivepatch load (attach, agent, JMX connector, patch)", mark, base,
                            () -> jlivepatchLoad(target)));
                    break;
                case "connector": {
                    Step connector = step(target, scenario, "JDK: attach + local JMX connector + one client", mark, base,
                            () -> connectorOnly(target.pid()));
                    steps.add(connector);
                    steps.add(step(target, scenario, "jlivepatch load, the connector being up", mark + connector.classes().size(),
                            connector.after(), () -> jlivepatchLoad(target)));
                    break;
                }
                case "agent": {
                    Step empty = step(target, scenario, "JDK: attach + an agent that does nothing", mark, base,
                            () -> emptyAgent(target.pid(), work));
                    steps.add(empty);
                    steps.add(step(target, scenario, "jlivepatch agent with patches=<dir> (no connector)",
                            mark + empty.classes().size(), empty.after(), () -> agentOnly(target.pid(), work)));
                    break;
                }
                default:
                    usage("unknown scenario '" + scenario + "' (operator, connector, agent)");
            }
            expect(target.get(FootprintTarget.TRAVERSAL), 403, "the traversal request after the patch");
            expect(target.get(FootprintTarget.SERVED), 200, "the served file after the patch");
            if (logs != null) {
                Files.copy(work.resolve("classes.log"), logs.resolve(scenario + "-classes.log"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                for (int i = 1; i < steps.size(); i++) {
                    Files.write(logs.resolve(scenario + "-step" + i + ".txt"), steps.get(i).classes());
                }
            }
            return steps;
        } finally {
            deleteTree(work);
        }
    }

    interface Action {
        void run() throws Exception;
    }

    private Step step(FootprintTarget target, String scenario, String name, int mark, FootprintMetaspace before,
                      Action action) throws Exception {
        action.run();
        int end = target.settle();
        FootprintMetaspace after = target.metaspace();
        List<String> lines = target.classLines();
        return new Step(scenario, name, FootprintClasses.classNames(lines.subList(mark, Math.min(end, lines.size()))),
                before, after);
    }

    private void jlivepatchLoad(FootprintTarget target) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(javaHome.resolve("bin/java").toString(), "-jar", agentJar.toString(), "load",
                Long.toString(target.pid()), patchJar.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("jlivepatch load failed:\n" + out + "\ntarget:\n" + target.output());
        }
    }

    /** The JDK's part of what the command does: the local connector started and one client on it. */
    private static void connectorOnly(long pid) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
        try {
            vm.getSystemProperties(); // the command reads jlivepatch.version this way
            String address = vm.startLocalManagementAgent();
            try (JMXConnector c = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
                MBeanServerConnection connection = c.getMBeanServerConnection();
                connection.getMBeanCount();
            }
        } finally {
            vm.detach();
        }
    }

    /** What loading any agent costs: an agent JAR whose {@code agentmain} returns at once. */
    private static void emptyAgent(long pid, Path work) throws Exception {
        Path jar = work.resolve("empty-agent.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Agent-Class", "bench.footprint.EmptyAgent");
        manifest.getMainAttributes().putValue("Can-Retransform-Classes", "true");
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, "bench/footprint/EmptyAgent", null,
                "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "agentmain",
                "(Ljava/lang/String;Ljava/lang/instrument/Instrumentation;)V", null, null);
        mv.visitCode();
        mv.visitInsn(Opcodes.RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            out.putNextEntry(new JarEntry("bench/footprint/EmptyAgent.class"));
            out.write(cw.toByteArray());
            out.closeEntry();
        }
        VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
        try {
            vm.loadAgent(jar.toString());
        } finally {
            vm.detach();
        }
    }

    private void agentOnly(long pid, Path work) throws Exception {
        Path dir = Files.createDirectories(work.resolve("patches"));
        Files.copy(patchJar, dir.resolve(patchJar.getFileName()));
        VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
        try {
            vm.loadAgent(agentJar.toString(), "patches=" + dir);
        } finally {
            vm.detach();
        }
    }

    /**
     * {@code jlivepatch load} while a client keeps asking for the served file: prints the command's
     * outcome, the client's failures, whether the application still serves, and what the target
     * printed (an {@code OutOfMemoryError} and who had it). True when the application survived.
     */
    private boolean probe() throws Exception {
        Path work = Files.createTempDirectory("jlivepatch-footprint");
        try (FootprintTarget target = FootprintTarget.start(javaHome, demoJar, work, targetOptions)) {
            expect(target.get(FootprintTarget.SERVED), 200, "the served file");
            target.settle();
            FootprintMetaspace base = target.metaspace();
            System.out.printf(Locale.ROOT, "target options %s: baseline metaspace committed %s, used %s, %d classes%n",
                    targetOptions, FootprintReport.kb(base.committed()), FootprintReport.kb(base.used()), base.classes());
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            Thread client = new Thread(() -> {
                while (!stop.get()) {
                    if (target.get(FootprintTarget.SERVED) == 200) {
                        ok.incrementAndGet();
                    } else {
                        failed.incrementAndGet();
                    }
                }
            });
            client.start();
            Process p = new ProcessBuilder(javaHome.resolve("bin/java").toString(), "-jar", agentJar.toString(), "load",
                    "--timeout", "60", Long.toString(target.pid()), patchJar.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            boolean ended = p.waitFor(120, TimeUnit.SECONDS);
            Thread.sleep(2000);
            stop.set(true);
            client.join(30_000);
            int after = target.alive() ? target.get(FootprintTarget.SERVED) : -1;
            System.out.println("jlivepatch load: " + (ended ? "exit " + p.exitValue() : "did not end") + "\n" + out.strip());
            System.out.printf(Locale.ROOT, "client during the load: %d served, %d failed; after: %s%n", ok.get(), failed.get(),
                    after == 200 ? "serving" : target.alive() ? "alive, not serving (" + after + ")" : "the JVM ended");
            if (target.alive()) {
                FootprintMetaspace now = target.metaspace();
                System.out.printf(Locale.ROOT, "metaspace now: committed %s, used %s, %d classes%n",
                        FootprintReport.kb(now.committed()), FootprintReport.kb(now.used()), now.classes());
            }
            System.out.println("target output:\n" + target.output().strip());
            return failed.get() == 0 && after == 200;
        } finally {
            deleteTree(work);
        }
    }

    private static void expect(int status, int wanted, String what) {
        if (status != wanted) {
            throw new IllegalStateException(what + " answered " + status + ", expected " + wanted);
        }
    }

    private static Path existing(Map<String, String> opts, String key) {
        String v = opts.get(key);
        if (v == null) {
            usage("--" + key + " is required");
        }
        Path p = Paths.get(v).toAbsolutePath();
        if (!Files.isRegularFile(p)) {
            usage("--" + key + " " + p + " does not exist: build it first (mvn -B -q -DskipTests package)");
        }
        return p;
    }

    private static void usage(String problem) {
        System.err.println("Footprint: " + problem + "\nusage: Footprint --agent-jar A --demo-jar D --patch-jar P"
                + " [--scenarios operator,connector,agent] [--out result.json] [--logs dir] [--probe] [-- target JVM options]");
        System.exit(2);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
