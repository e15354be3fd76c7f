package io.jlivepatch.bench;

import io.jlivepatch.PatchHandle;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where does {@code enable()} / {@code disable()} spend its time? Not a benchmark: the explanation of
 * ChangeCost's figures. Runs enable + transition, a call of every method, disable + transition, over
 * and over on generated targets ({@link GeneratedTargets}), while a sampler thread takes the calling
 * thread's stack every half millisecond, and prints, per operation, the share of samples in which
 * each method is on the stack (inclusive).
 *
 * <p>{@link Thread#getStackTrace()} stops the thread at a safepoint poll, so the samples are
 * safepoint-biased: trust the large shares (which code is on the stack), not the small ones.
 *
 * <pre>java -Djdk.attach.allowAttachSelf=true -XX:+IgnoreUnrecognizedVMOptions -XX:+EnableDynamicAgentLoading \
 *     -cp benchmarks.jar io.jlivepatch.bench.ChangeProfile [methods=1000] [cycles=30] [unsampled]</pre>
 *
 * <p>{@code unsampled} runs the cycles without the sampler and prints only the mean times: for
 * {@code -Xlog:safepoint}, which the sampler's own safepoints would swamp.
 */
public final class ChangeProfile {

    private static volatile String phase = "idle";
    private static volatile long phaseNumber;

    private ChangeProfile() {
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int cycles = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        // "unsampled": no sampling thread, for -Xlog:safepoint (each sample is a safepoint of its own)
        boolean sampled = args.length <= 2 || !args[2].equals("unsampled");
        int warmup = Math.min(5, cycles / 3);
        GeneratedTargets t = GeneratedTargets.define("bench.gen.profile" + n, n);
        t.callAll(false);
        PatchHandle h = BenchPatches.livepatch().register(t.patch("bench-profile-" + n));
        Thread main = Thread.currentThread();
        Map<String, Map<String, Integer>> inclusive = new ConcurrentHashMap<>();
        Map<String, Integer> samples = new ConcurrentHashMap<>();
        Thread sampler = new Thread(() -> {
            while (true) {
                long before = phaseNumber;
                String p = phase;
                if (!p.equals("idle")) {
                    StackTraceElement[] stack = main.getStackTrace();
                    if (phaseNumber == before) { // the stack belongs to this phase
                        Set<String> seen = new HashSet<>();
                        Map<String, Integer> m = inclusive.computeIfAbsent(p, k -> new ConcurrentHashMap<>());
                        for (StackTraceElement e : stack) {
                            String frame = e.getClassName() + "." + e.getMethodName();
                            if (seen.add(frame)) {
                                m.merge(frame, 1, Integer::sum);
                            }
                        }
                        samples.merge(p, 1, Integer::sum);
                    }
                }
                try {
                    Thread.sleep(0, 500_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "change-profile-sampler");
        sampler.setDaemon(true);
        if (sampled) {
            sampler.start();
        }
        long enableNanos = 0;
        long disableNanos = 0;
        // The calling thread's CPU time: jlivepatch's own work, the transformer's rewriting and the
        // JVM's parsing of the new class versions, not the redefinition's safepoint (the VM thread's)
        // nor waiting for CPU: a figure a loaded machine does not move much.
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        long enableCpu = 0;
        long disableCpu = 0;
        for (int k = 0; k < cycles; k++) {
            boolean record = k >= warmup;
            long c0 = cpu.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            setPhase(record ? "enable" : "idle");
            h.enable();
            BenchPatches.awaitTransition(h, Duration.ofSeconds(60));
            setPhase("idle");
            long t1 = System.nanoTime();
            long c1 = cpu.getCurrentThreadCpuTime();
            t.callAll(true);
            long c2 = cpu.getCurrentThreadCpuTime();
            long t2 = System.nanoTime();
            setPhase(record ? "disable" : "idle");
            h.disable();
            BenchPatches.awaitTransition(h, Duration.ofSeconds(60));
            setPhase("idle");
            long t3 = System.nanoTime();
            long c3 = cpu.getCurrentThreadCpuTime();
            if (record) {
                enableNanos += t1 - t0;
                disableNanos += t3 - t2;
                enableCpu += c1 - c0;
                disableCpu += c3 - c2;
            }
        }
        sampler.interrupt();
        int measured = cycles - warmup;
        System.out.printf("ChangeProfile on %s: %d methods in %d classes, %d cycles after %d warm-up;"
                        + " mean enable %.1f ms, disable %.1f ms (each with its transition; sampling %s);"
                        + " the calling thread's CPU time: enable %.2f ms, disable %.2f ms%n",
                System.getProperty("java.version"), t.methods().size(), t.classes().size(), measured, warmup,
                enableNanos / 1e6 / measured, disableNanos / 1e6 / measured, sampled ? "on" : "off",
                enableCpu / 1e6 / measured, disableCpu / 1e6 / measured);
        if (!sampled) {
            return;
        }
        for (String p : List.of("enable", "disable")) {
            int total = samples.getOrDefault(p, 0);
            System.out.println();
            System.out.println(p + ": " + total + " samples; share of samples with the method on the stack:");
            inclusive.getOrDefault(p, Map.of()).entrySet().stream()
                    .filter(e -> !e.getKey().startsWith(ChangeProfile.class.getName()))
                    .sorted((a, b) -> b.getValue() - a.getValue())
                    .limit(40)
                    .forEach(e -> System.out.printf("  %5.1f%%  %s%n", 100.0 * e.getValue() / total, e.getKey()));
        }
    }

    private static void setPhase(String p) {
        phaseNumber++;
        phase = p;
    }
}
