package io.jlivepatch.bench;

import bench.target.CheapRule;
import bench.target.CheapRuleFix;
import bench.target.ToggledRule;
import bench.target.ToggledRuleFix;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.ProtectionDomain;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where does a change cost its time while callers keep running? Not a benchmark: the explanation of
 * {@link ToggleCost}'s figures. Runs, each in a JVM of its own, a loop of changes with 0 and with 4
 * threads calling {@link ToggledRule#verdict} (as ToggleCost's callers), in two modes:
 * <ul>
 *   <li>{@code jlivepatch}: the patch disabled and enabled in turn, each change followed by a wait for
 *       its transition (ToggleCost's {@code toggle});</li>
 *   <li>{@code retransform}: no jlivepatch; the class retransformed by a transformer that changes
 *       nothing (ToggleCost's {@code retransform}, the JVM's floor for any change of a method's code);</li>
 *   <li>{@code rewrite}: the same, but the transformer puts a {@code NOP} at the start of the method
 *       at every other retransformation, so that its code really changes each time, as jlivepatch's
 *       hook comes and goes;</li>
 *   <li>{@code beside}: the no-op retransformation of {@code retransform} in a JVM where jlivepatch runs
 *       (installed, a patch of another class enabled and called): what the JVM's redefinition costs in
 *       that JVM, apart from what jlivepatch does for its own change.</li>
 * </ul>
 * Each change is followed by 1 ms of rest, as in ToggleCost. It prints per change the median time of
 * the operation (the call of {@code enable}/{@code disable} or {@code retransformClasses}) and of the
 * wait for the transition, and, from the JVM's own {@code -Xlog:safepoint} and {@code -Xlog:handshake}
 * of the measured changes, the VM operations per change: how many, how long the threads took to reach
 * the safepoint, how long the VM spent at it.
 *
 * <pre>java -cp benchmarks.jar io.jlivepatch.bench.ToggleProfile &lt;out.txt&gt; [changes=100]</pre>
 */
public final class ToggleProfile {

    private static final int WARMUP_CHANGES = 20;
    private static final String[] NAMES = {"alice", "bob_42", "", "x", "Mallory", "carol.smith", "dave_the_builder", "eve"};
    private static final Pattern UPTIME = Pattern.compile("^\\[(\\d+[.,]\\d+)s\\]");
    private static final Pattern SAFEPOINT = Pattern.compile("Safepoint \"(\\w+)\".*Reaching safepoint: (\\d+) ns.*"
            + "At safepoint: (\\d+) ns");
    private static final Pattern HANDSHAKE = Pattern.compile("Handshake \"([\\w ]+)\".*completion time: (\\d+) ns");

    private static volatile boolean stop;
    private static volatile int sink;

    private ToggleProfile() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--child")) {
            child(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            return;
        }
        if (args.length < 1) {
            System.err.println("usage: ToggleProfile <out.txt> [changes=100]");
            System.exit(2);
        }
        Path out = Paths.get(args[0]);
        int changes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        Path work = Files.createTempDirectory("jlivepatch-toggle-profile");
        StringBuilder report = new StringBuilder();
        report.append("ToggleProfile on ").append(System.getProperty("java.vm.name")).append(' ')
                .append(System.getProperty("java.version")).append(", ").append(changes)
                .append(" measured changes after ").append(WARMUP_CHANGES).append(", 1 ms of rest after each\n");
        try {
            for (int callers : new int[] {0, 4}) {
                for (String mode : new String[] {"retransform", "rewrite", "beside", "jlivepatch"}) {
                    report.append('\n').append(run(work, mode, callers, changes));
                }
            }
        } finally {
            StartupCost.deleteTree(work);
        }
        Files.writeString(out, report);
        System.out.print(report);
    }

    /** One mode in a JVM of its own; returns its part of the report. */
    private static String run(Path work, String mode, int callers, int changes) throws IOException, InterruptedException {
        Path safepoints = work.resolve(mode + callers + "-safepoint.log");
        Path handshakes = work.resolve(mode + callers + "-handshake.log");
        List<String> cmd = new ArrayList<>(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+EnableDynamicAgentLoading", "-Djdk.attach.allowAttachSelf=true",
                "-Xlog:safepoint=info:file=" + safepoints + ":uptime",
                "-Xlog:handshake=info:file=" + handshakes + ":uptime",
                "-cp", System.getProperty("java.class.path"), ToggleProfile.class.getName(),
                "--child", mode, Integer.toString(callers), Integer.toString(changes)));
        Path errors = work.resolve(mode + callers + "-stderr.log"); // jlivepatch's log lines
        Process p = new ProcessBuilder(cmd).redirectError(errors.toFile()).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(mode + " with " + callers + " callers failed: " + output
                    + Files.readString(errors));
        }
        // The child's last line: "window <from> <to>", the measured changes' uptime in seconds.
        String[] lines = output.strip().split("\n");
        String[] window = lines[lines.length - 1].split(" ");
        double from = Double.parseDouble(window[1]);
        double to = Double.parseDouble(window[2]);
        StringBuilder r = new StringBuilder();
        r.append("== ").append(mode).append(", ").append(callers).append(" callers\n");
        for (int i = 0; i < lines.length - 1; i++) {
            r.append(lines[i]).append('\n');
        }
        r.append(vmOperations(safepoints, SAFEPOINT, from, to, changes, true));
        r.append(vmOperations(handshakes, HANDSHAKE, from, to, changes, false));
        return r.toString();
    }

    /** Per change: the count of each VM operation in the window and its mean times, from a -Xlog file. */
    private static String vmOperations(Path log, Pattern p, double from, double to, int changes, boolean safepoint)
            throws IOException {
        Map<String, double[]> ops = new TreeMap<>(); // name -> count, sum of first time, sum of second time
        for (String line : Files.readAllLines(log)) {
            Matcher u = UPTIME.matcher(line);
            Matcher m = p.matcher(line);
            if (!u.find() || !m.find()) {
                continue;
            }
            double at = Double.parseDouble(u.group(1).replace(',', '.'));
            if (at < from || at > to) {
                continue;
            }
            double[] s = ops.computeIfAbsent(m.group(1), k -> new double[3]);
            s[0]++;
            s[1] += Long.parseLong(m.group(2)) / 1e6;
            if (safepoint) {
                s[2] += Long.parseLong(m.group(3)) / 1e6;
            }
        }
        StringBuilder r = new StringBuilder();
        if (ops.isEmpty()) {
            r.append(safepoint ? "  no safepoint\n" : "  no handshake\n");
        }
        for (Map.Entry<String, double[]> e : ops.entrySet()) {
            double[] s = e.getValue();
            if (safepoint) {
                r.append(String.format(Locale.ROOT, "  safepoint %-16s %5.2f per change, reaching it %6.2f ms, at it %6.2f ms"
                        + " (means), %6.2f ms per change%n", e.getKey(), s[0] / changes, s[1] / s[0], s[2] / s[0],
                        (s[1] + s[2]) / changes));
            } else {
                r.append(String.format(Locale.ROOT, "  handshake %-16s %5.2f per change, %6.2f ms to complete (mean)%n",
                        e.getKey(), s[0] / changes, s[1] / s[0]));
            }
        }
        return r.toString();
    }

    /** Puts a NOP first in ToggledRule.verdict at every other retransformation: its code changes each time. */
    private static final class NopAtEveryOther implements ClassFileTransformer {
        private boolean nop;

        @Override
        public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefined,
                                ProtectionDomain domain, byte[] classFile) {
            if (redefined != ToggledRule.class) {
                return null;
            }
            nop = !nop;
            if (!nop) {
                return null; // the original
            }
            ClassReader r = new ClassReader(classFile);
            ClassWriter w = new ClassWriter(r, 0);
            r.accept(new ClassVisitor(Opcodes.ASM9, w) {
                @Override
                public MethodVisitor visitMethod(int access, String name, String descriptor,
                                                                    String signature, String[] exceptions) {
                    MethodVisitor mv = super.visitMethod(access, name, descriptor, signature, exceptions);
                    if (!name.equals("verdict")) {
                        return mv;
                    }
                    return new MethodVisitor(Opcodes.ASM9, mv) {
                        @Override
                        public void visitCode() {
                            super.visitCode();
                            super.visitInsn(Opcodes.NOP);
                        }
                    };
                }
            }, 0);
            return w.toByteArray();
        }
    }

    private static void child(String mode, int callers, int changes) throws Exception {
        ToggledRule rule = new ToggledRule(12);
        Instrumentation inst = BenchPatches.instrumentation();
        boolean jlivepatch = mode.equals("jlivepatch");
        boolean rewrite = mode.equals("rewrite");
        if (!jlivepatch && !rewrite && !mode.equals("retransform") && !mode.equals("beside")) {
            throw new IllegalArgumentException("mode: jlivepatch, retransform, rewrite or beside, not " + mode);
        }
        if (mode.equals("beside")) {
            CheapRule other = new CheapRule(3);
            BenchPatches.enable(Patch.builder("bench-beside")
                    .replace(CheapRule.class.getMethod("scale", int.class),
                            CheapRuleFix.class.getMethod("scale", CheapRule.class, int.class))
                    .build());
            for (int i = 0; i < 20_000; i++) {
                sink += other.scale(i);
            }
        }
        ClassFileTransformer noOp = rewrite ? new NopAtEveryOther() : new ClassFileTransformer() {
        };
        PatchHandle h = null;
        if (jlivepatch) {
            h = BenchPatches.enable(Patch.builder("bench-toggled")
                    .replace(ToggledRule.class.getMethod("verdict", String.class),
                            ToggledRuleFix.class.getMethod("verdict", ToggledRule.class, String.class))
                    .build());
        } else {
            inst.addTransformer(noOp, true);
        }
        Thread[] threads = new Thread[callers];
        for (int i = 0; i < callers; i++) {
            threads[i] = new Thread(() -> {
                int j = 0;
                int s = 0;
                while (!stop) {
                    s += rule.verdict(NAMES[j++ & (NAMES.length - 1)]);
                }
                sink = s;
            }, "caller-" + i);
            threads[i].start();
        }
        Thread.sleep(1000); // the callers compiled
        long[] op = new long[changes];
        long[] wait = new long[changes];
        double from = 0;
        long began = 0;
        for (int i = -WARMUP_CHANGES; i < changes; i++) {
            if (i == 0) {
                from = ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0;
                began = System.nanoTime();
            }
            long t0 = System.nanoTime();
            if (!jlivepatch) {
                inst.retransformClasses(ToggledRule.class);
            } else if (h.isEnabled()) {
                h.disable();
            } else {
                h.enable();
            }
            long t1 = System.nanoTime();
            if (jlivepatch) {
                BenchPatches.awaitTransition(h, Duration.ofSeconds(10));
            }
            long t2 = System.nanoTime();
            if (i >= 0) {
                op[i] = t1 - t0;
                wait[i] = t2 - t1;
            }
            LockSupport.parkNanos(1_000_000L);
        }
        long took = System.nanoTime() - began;
        double to = ManagementFactory.getRuntimeMXBean().getUptime() / 1000.0;
        stop = true;
        for (Thread t : threads) {
            t.join();
        }
        Arrays.sort(op);
        Arrays.sort(wait);
        System.out.printf(Locale.ROOT, "  %.1f changes per second (with the 1 ms rest)%n", changes / (took / 1e9));
        System.out.printf(Locale.ROOT, "  operation: median %.2f ms (quartiles %.2f, %.2f)%n",
                op[changes / 2] / 1e6, op[changes / 4] / 1e6, op[3 * changes / 4] / 1e6);
        System.out.printf(Locale.ROOT, "  wait for the transition: median %.2f ms (quartiles %.2f, %.2f)%n",
                wait[changes / 2] / 1e6, wait[changes / 4] / 1e6, wait[3 * changes / 4] / 1e6);
        System.out.printf(Locale.ROOT, "window %.3f %.3f%n", from, to);
    }
}
