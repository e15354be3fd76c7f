package io.jlivepatch.bench;

import io.jlivepatch.FunctionStatus;
import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchHandle;

import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.ref.WeakReference;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What does a patch keep in memory? Heap (and metaspace) used after a full GC, before and after each
 * step, in one JVM with jlivepatch installed (self-attach):
 * <ul>
 *   <li>{@code perPatchedMethod}: one patch of 1000 generated methods in 100 classes: registered,
 *       enabled, then every method called once (its hook's call sites linked); per method;</li>
 *   <li>{@code perRegisteredPatch}: 200 patches of one method each ({@code Patch.builder}): registered,
 *       enabled, called; per patch;</li>
 *   <li>{@code perPatchJar}: 100 patch JARs of one method each ({@code Livepatch.load}): a class loader and a
 *       class per patch; per patch;</li>
 *   <li>each ends with everything disabled and unregistered: what is left over ({@code residual});</li>
 *   <li>{@code patchJarCycles}: one patch JAR through 1000 whole life cycles (load, enable, calls,
 *       disable, unregister), the heap and metaspace read after cycle 1 and at a few later cycles:
 *       does anything pile up per cycle?</li>
 *   <li>{@code classLoaderCollected}: a patch JAR loaded, enabled, its method called 200 times (through
 *       reflection) or 20,000 times (from a generated loop the JIT compiles, as a hot call site would be),
 *       disabled, unregistered: is its class loader collected (a {@link WeakReference}, 50 GCs)?</li>
 * </ul>
 * For each, the class histogram ({@code GC.class_histogram}) before registering is diffed with the one
 * after the calls and the one after unregistering: the classes that hold the memory. (The histogram
 * taken first stays reachable through every reading, so it cancels out.) A warm-up cycle first loads jlivepatch's
 * own classes and the JDK's method-handle infrastructure, which a first patch pays once per JVM.
 * Run with {@code -XX:+UseSerialGC -XX:SoftRefLRUPolicyMSPerMB=0}: after {@code System.gc()} the heap
 * is fully compacted and soft references (the JDK's reflection caches, which a GC under pressure
 * would drop) are cleared, so "used" is what is strongly reachable.
 *
 * <pre>java -XX:+UseSerialGC -XX:SoftRefLRUPolicyMSPerMB=0 [self-attach flags] -cp benchmarks.jar io.jlivepatch.bench.MemoryCost &lt;out.json&gt; [smoke|cycles]</pre>
 * {@code cycles} runs only {@code patchJarCycles} (after the warm-up), to repeat it under other JVM flags
 * (e.g. {@code -XX:TieredStopAtLevel=1}: no profiled code, so no profile data piling up as code gets hot).
 * Exits non-zero when a patch JAR's class loader stays reachable after 200 calls, or after 20,000 calls
 * on JDK 21 and later (on JDK 17 that is a known limit, reported, see README "Known limits"), or when a
 * cycle of {@code patchJarCycles} sees a wrong result (after writing the JSON).
 */
public final class MemoryCost {

    private static final Livepatch LP = BenchPatches.livepatch();

    /** {@code smoke}: fewer patches, no settling time and no noise floor, for CI (the figures then mean little). */
    private static boolean smoke;

    /** The least time a reading waits for late releases (see {@link Usage}); 0 in smoke mode. */
    private static long settleMillis = 1100;

    /** Every generated class stays reachable to the end, so that none is unloaded during a later step. */
    private static final List<GeneratedTargets> KEEP = new ArrayList<>();

    private MemoryCost() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: MemoryCost <out.json> [smoke|cycles]");
            System.exit(2);
        }
        Path out = Paths.get(args[0]);
        smoke = args.length > 1 && args[1].equals("smoke");
        boolean cyclesOnly = args.length > 1 && args[1].equals("cycles");
        if (smoke) {
            settleMillis = 0;
        }
        Path work = Files.createTempDirectory("jlivepatch-memory");
        // Every run left its JARs behind in /tmp: removed when it ends (a load has read them by then).
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(work), "delete " + work));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("benchmark", "MemoryCost");
        json.put("jvm", Report.jvm());
        json.put("gc", ManagementFactory.getGarbageCollectorMXBeans().get(0).getName());
        json.put("unit", "bytes");

        warmUp(work);
        json.put("smoke", smoke);
        json.put("jvmFlags", ManagementFactory.getRuntimeMXBean().getInputArguments());
        if (cyclesOnly) {
            json.put("patchJarCycles", patchJarCycles(work, CYCLES));
            Report.write(out, json);
            System.out.println("MemoryCost (patchJarCycles only): " + out);
            return;
        }
        json.put("noiseFloor", smoke ? Map.of("heapSpreadBytes", -1) : noiseFloor());
        json.put("perPatchedMethod", perPatchedMethod());
        json.put("perRegisteredPatch", perRegisteredPatch());
        json.put("perPatchJar", perPatchJar(work));
        Map<String, Object> cycles = patchJarCycles(work, smoke ? SMOKE_CYCLES : CYCLES);
        json.put("patchJarCycles", cycles);
        List<Object> loaders = new ArrayList<>();
        boolean failed = false;
        int feature = Runtime.version().feature();
        for (int calls : new int[] {200, 20_000}) {
            boolean collected = patchJarLoaderCollected(work, calls);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("calls", calls);
            m.put("calledFrom", calls <= 200 ? "Method.invoke" : "a generated loop, JIT-compiled (OSR)");
            m.put("collected", collected);
            boolean expected = calls <= 200 || feature >= 21;
            m.put("required", expected);
            if (!collected && !expected) {
                m.put("note", "known limit on JDK 17 (README, Known limits)");
            }
            loaders.add(m);
            failed |= expected && !collected;
        }
        json.put("classLoaderCollected", loaders);
        Report.write(out, json);
        print(json);
        System.out.println("MemoryCost: " + out);
        if (failed) {
            System.err.println("MemoryCost: an unregistered patch JAR's class loader stayed reachable");
        }
        if (cycles.containsKey("failed")) {
            System.err.println("MemoryCost: patchJarCycles failed: " + cycles.get("failed"));
        }
        if (failed || cycles.containsKey("failed")) {
            System.exit(1);
        }
    }

    /**
     * How much the heap reading moves with nothing happening: five readings (each settled as every
     * other) a second apart; their spread, divided by a step's count, bounds what its per-unit figure
     * can resolve.
     */
    private static Map<String, Object> noiseFloor() throws InterruptedException {
        List<Double> readings = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            readings.add((double) Usage.now().heap());
            Thread.sleep(1000);
        }
        double min = readings.stream().mapToDouble(Double::doubleValue).min().orElse(0);
        double max = readings.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("heapReadings", readings);
        m.put("heapSpreadBytes", (long) (max - min));
        return m;
    }

    /** One small patch through its whole life, so that first-use costs are not counted below. */
    private static void deleteTree(Path dir) {
        try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException | RuntimeException e) {
            System.err.println("MemoryCost: could not remove " + dir + ": " + e);
        }
    }

    private static void warmUp(Path work) throws Exception {
        GeneratedTargets t = define("bench.gen.memwarm", 2, 2);
        PatchHandle h = LP.register(t.patch("mem-warm"));
        enable(h);
        t.callAll(true);
        disable(h);
        h.unregister();
        GeneratedTargets j = define("bench.gen.memwarmjar", 1, 1);
        PatchHandle jh = LP.load(jar(work, "warm", j, 0));
        enable(jh);
        j.callAll(true);
        disable(jh);
        jh.unregister();
    }

    private static GeneratedTargets define(String packageName, int classes, int methodsPerClass) {
        GeneratedTargets t = GeneratedTargets.define(packageName, classes, methodsPerClass);
        // Calls every method once through reflection first, so that the JDK's reflection accessors
        // (which the benchmark's own calls create) are in every baseline, not in the deltas.
        t.callAll(false);
        KEEP.add(t);
        return t;
    }

    private static Map<String, Object> perPatchedMethod() throws Exception {
        GeneratedTargets t = define("bench.gen.mem1000", 100, 10);
        int n = t.methods().size();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("methods", n);
        m.put("classes", t.classes().size());
        Map<String, Long> histogramBefore = baselineHistogram();
        Usage base = Usage.now();
        PatchHandle h = LP.register(t.patch("mem-1000"));
        Usage registered = Usage.now();
        enable(h);
        Usage enabled = Usage.now();
        t.callAll(true);
        Usage linked = Usage.now();
        // The histograms are taken after the usage they explain; only their small diffs stay reachable.
        List<Object> top = histogramDiff(histogramBefore, histogram(), 12);
        disable(h);
        h.unregister();
        h = null; // nothing of the patch may stay reachable from here
        Usage residual = Usage.now();
        List<Object> residualTop = histogramDiff(histogramBefore, histogram(), 8);
        // The same life cycle again, with a new patch of the same methods: does the residual grow
        // (a leak per cycle) or stay (space the JVM reuses)?
        PatchHandle again = LP.register(t.patch("mem-1000-again"));
        enable(again);
        t.callAll(true);
        disable(again);
        again.unregister();
        again = null;
        Usage secondResidual = Usage.now();
        m.put("registered", registered.minus(base, n));
        m.put("enabled", enabled.minus(base, n));
        m.put("enabledAndCalled", linked.minus(base, n));
        m.put("residual", residual.minus(base, n));
        m.put("residualAfterSecondCycle", secondResidual.minus(base, n));
        m.put("histogramTop", top);
        m.put("residualHistogramTop", residualTop);
        m.put("retransformTwiceControl", retransformTwice(t, n));
        return m;
    }

    /**
     * The control for the residual: what two plain retransformations of the same classes (no-op
     * transformer; an enable and a disable each retransform once) leave behind.
     */
    private static Map<String, Object> retransformTwice(GeneratedTargets t, int n) throws Exception {
        java.lang.instrument.Instrumentation inst = BenchPatches.instrumentation();
        Class<?>[] classes = t.classes().toArray(new Class<?>[0]);
        Usage base = Usage.now();
        java.lang.instrument.ClassFileTransformer noOp = new java.lang.instrument.ClassFileTransformer() {
        };
        inst.addTransformer(noOp, true);
        try {
            inst.retransformClasses(classes);
            inst.retransformClasses(classes);
        } finally {
            inst.removeTransformer(noOp);
        }
        return Usage.now().minus(base, n);
    }

    private static Map<String, Object> perRegisteredPatch() throws Exception {
        GeneratedTargets t = define("bench.gen.mem200", smoke ? 20 : 200, 1);
        int n = t.methods().size();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("patches", n);
        m.put("methodsPerPatch", 1);
        Method fix = bench.target.GeneratedFix.class.getMethod("replacement", int.class);
        Map<String, Long> histogramBefore = baselineHistogram();
        Usage base = Usage.now();
        List<PatchHandle> handles = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            handles.add(LP.register(io.jlivepatch.Patch.builder("mem-patch-" + i)
                    .replace(t.methods().get(i), fix).build()));
        }
        Usage registered = Usage.now();
        for (PatchHandle h : handles) {
            enable(h);
        }
        Usage enabled = Usage.now();
        t.callAll(true);
        Usage linked = Usage.now();
        List<Object> top = histogramDiff(histogramBefore, histogram(), 12);
        removeAll(handles);
        handles = null; // nothing of the patches may stay reachable from here
        Usage residual = Usage.now();
        List<Object> residualTop = histogramDiff(histogramBefore, histogram(), 8);
        m.put("registered", registered.minus(base, n));
        m.put("enabled", enabled.minus(base, n));
        m.put("enabledAndCalled", linked.minus(base, n));
        m.put("residual", residual.minus(base, n));
        m.put("histogramTop", top);
        m.put("residualHistogramTop", residualTop);
        return m;
    }

    private static Map<String, Object> perPatchJar(Path work) throws Exception {
        int n = smoke ? 10 : 100;
        GeneratedTargets t = define("bench.gen.memjar", n, 1);
        List<Path> jars = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            jars.add(jar(work, "mem-jar-" + i, t, i));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("patches", n);
        m.put("methodsPerPatch", 1);
        Map<String, Long> histogramBefore = baselineHistogram();
        Usage base = Usage.now();
        List<PatchHandle> handles = new ArrayList<>();
        for (Path jar : jars) {
            handles.add(LP.load(jar));
        }
        Usage registered = Usage.now();
        for (PatchHandle h : handles) {
            enable(h);
        }
        Usage enabled = Usage.now();
        t.callAll(true);
        Usage linked = Usage.now();
        List<Object> top = histogramDiff(histogramBefore, histogram(), 12);
        removeAll(handles);
        handles = null; // nothing of the patches may stay reachable from here
        Usage residual = Usage.now();
        List<Object> residualTop = histogramDiff(histogramBefore, histogram(), 8);
        m.put("registered", registered.minus(base, n));
        m.put("enabled", enabled.minus(base, n));
        m.put("enabledAndCalled", linked.minus(base, n));
        m.put("residual", residual.minus(base, n));
        m.put("histogramTop", top);
        m.put("residualHistogramTop", residualTop);
        return m;
    }

    /** Life cycles of {@code patchJarCycles}; readings at these cycles (the last one included). */
    private static final int CYCLES = 1000;
    private static final int SMOKE_CYCLES = 20;
    private static final int[] CHECKPOINTS = {1, 10, 20, 100, 500, 1000};

    /** Calls of the patched method per cycle (one loop): the first links its hook's call sites, the rest use them. */
    private static final int CALLS_PER_CYCLE = 50;

    /**
     * One patch JAR (one method of one class replaced, as in {@link #perPatchJar}) loaded, enabled,
     * called, disabled and unregistered {@code cycles} times, each load a new class loader. Heap and
     * metaspace are read (settled, as every reading here) after cycle 1 and at each checkpoint; the
     * issue's target is the level at the last over the level after the first, at most 1.05. The
     * class histogram after cycle 1 is diffed with the one after the last: what piled up.
     */
    private static Map<String, Object> patchJarCycles(Path work, int cycles) throws Exception {
        GeneratedTargets t = define("bench.gen.memcycle", 1, 1);
        Path jar = jar(work, "mem-cycle", t, 0);
        Method target = t.methods().get(0);
        java.lang.management.ClassLoadingMXBean classLoading = ManagementFactory.getClassLoadingMXBean();
        List<Object> readings = new ArrayList<>();
        Usage first = null;
        Map<String, Long> histogramFirst = null;
        long start = System.nanoTime();
        Map<String, Object> m = new LinkedHashMap<>();
        for (int cycle = 1; cycle <= cycles; cycle++) {
            try {
                oneCycle(t, jar, target);
            } catch (IllegalStateException e) {
                // A wrong result is a failure of the run (main exits non-zero), not a figure; the
                // readings so far and the other scenarios are still written.
                m.put("failed", "cycle " + cycle + ": " + e.getMessage());
                break;
            }
            if (cycle != cycles && !isCheckpoint(cycle)) {
                continue;
            }
            if (cycle == 1) {
                histogramFirst = baselineHistogram();
            }
            Usage u = Usage.now();
            if (first == null) {
                first = u;
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("cycle", cycle);
            r.put("heapBytes", u.heap());
            r.put("metaspaceBytes", u.metaspace());
            r.put("heapOverFirst", (double) u.heap() / first.heap());
            r.put("metaspaceOverFirst", (double) u.metaspace() / first.metaspace());
            r.put("heapGrowthPerCycle", cycle == 1 ? 0.0 : (double) (u.heap() - first.heap()) / (cycle - 1));
            r.put("metaspaceGrowthPerCycle", cycle == 1 ? 0.0 : (double) (u.metaspace() - first.metaspace()) / (cycle - 1));
            r.put("classesLoaded", classLoading.getLoadedClassCount());
            r.put("classesUnloaded", classLoading.getUnloadedClassCount());
            readings.add(r);
        }
        m.put("cycles", cycles);
        m.put("callsPerCycle", CALLS_PER_CYCLE);
        m.put("seconds", (System.nanoTime() - start) / 1e9);
        m.put("readings", readings);
        if (histogramFirst != null) {
            m.put("histogramGrowthTop", histogramDiff(histogramFirst, histogram(), 10));
        }
        return m;
    }

    private static boolean isCheckpoint(int cycle) {
        for (int c : CHECKPOINTS) {
            if (c == cycle) {
                return true;
            }
        }
        return false;
    }

    /**
     * One whole life: nothing of the patch stays in a local variable of the caller. The calls come
     * from a generated caller that calls the target directly, as application code does, not through
     * {@code Method.invoke}: on JDK 25 a {@code Method} object obtained before the class was
     * retransformed was seen to keep running an earlier version of the method after some hundred
     * cycles (while a direct call and a new {@code Method} ran the patched one), which would fail this
     * scenario for a reason that is the JDK reflection's, not a patch's.
     */
    private static void oneCycle(GeneratedTargets t, Path jar, Method target) throws Exception {
        PatchHandle h = LP.load(jar);
        enable(h);
        int got = t.loop(CALLS_PER_CYCLE);
        if (got != sum(CALLS_PER_CYCLE, i -> GeneratedTargets.patched(i))) {
            throw new IllegalStateException("the patch JAR did not take: the loop summed " + got);
        }
        disable(h);
        h.unregister();
        if (t.loop(CALLS_PER_CYCLE) != sum(CALLS_PER_CYCLE, i -> GeneratedTargets.original(target, i))) {
            throw new IllegalStateException("the method is still patched after unregister");
        }
    }

    private static int sum(int n, java.util.function.IntUnaryOperator f) {
        int s = 0;
        for (int i = 0; i < n; i++) {
            s += f.applyAsInt(i);
        }
        return s;
    }

    private static boolean patchJarLoaderCollected(Path work, int calls) throws Exception {
        WeakReference<ClassLoader> loader = loadUseAndRemove(work, calls);
        for (int i = 0; i < 50 && loader.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        return loader.get() == null;
    }

    /** Kept apart so that nothing of the patch stays in a local variable of the caller. */
    private static WeakReference<ClassLoader> loadUseAndRemove(Path work, int calls) throws Exception {
        GeneratedTargets t = GeneratedTargets.define("bench.gen.memgc" + calls, 1, 1);
        PatchHandle h = LP.load(jar(work, "mem-gc-" + calls, t, 0));
        ClassLoader l = h.patch().replacements().get(0).replacement().getDeclaringClass().getClassLoader();
        if (l == null || l == MemoryCost.class.getClassLoader()) {
            throw new IllegalStateException("the patch class is not in a class loader of its own: " + l);
        }
        enable(h);
        if (calls <= 200) {
            Method m = t.methods().get(0);
            for (int i = 0; i < calls; i++) {
                int got = GeneratedTargets.call(m, i);
                if (got != GeneratedTargets.patched(i)) {
                    throw new IllegalStateException("the patch JAR did not take: " + got);
                }
            }
        } else {
            int want = 0;
            for (int i = 0; i < calls; i++) {
                want += GeneratedTargets.patched(i);
            }
            int got = t.loop(calls);
            if (got != want) {
                throw new IllegalStateException("the patch JAR did not take: the loop summed " + got + ", not " + want);
            }
        }
        disable(h);
        h.unregister();
        return new WeakReference<>(l);
    }

    /** A patch JAR replacing method {@code m0} of class {@code C<k>} of {@code t}. */
    private static Path jar(Path work, String name, GeneratedTargets t, int k) throws Exception {
        Class<?> target = t.classes().get(k);
        return PatchJars.write(work.resolve(name + ".jar"), name, "bench.memfix." + name.replace('-', '_'),
                target.getName(), "m0", PatchJars.INT_TO_INT);
    }

    private static void enable(PatchHandle h) throws Exception {
        h.enable();
        BenchPatches.awaitTransition(h, Duration.ofSeconds(30));
        BenchPatches.requireAll(h, FunctionStatus.State.PATCHED);
    }

    private static void disable(PatchHandle h) throws Exception {
        h.disable();
        BenchPatches.awaitTransition(h, Duration.ofSeconds(30));
    }

    private static void removeAll(List<PatchHandle> handles) throws Exception {
        List<PatchHandle> reversed = new ArrayList<>(handles);
        Collections.reverse(reversed);
        for (PatchHandle h : reversed) {
            disable(h);
        }
        for (PatchHandle h : reversed) {
            h.unregister();
        }
    }

    /**
     * Heap and metaspace in use after full GCs: the heap as the collector measured it at the end of
     * a collection ({@link MemoryPoolMXBean#getCollectionUsage()}, so no allocation after it, such as
     * a new TLAB, counts). Collections are repeated, 100 ms apart, for at least {@link #settleMillis}
     * and until three readings in a row lie within 1 KB: some memory is only released a while later
     * (seen: about 200 KB let go within a second after the warm-up, cause not identified; objects
     * that wait for the Cleaner thread are one such kind). The smallest reading counts.
     */
    private record Usage(long heap, long metaspace) {
        static Usage now() throws InterruptedException {
            long start = System.nanoTime();
            long[] last = {Long.MAX_VALUE, Long.MIN_VALUE, 0};
            long heap = Long.MAX_VALUE;
            for (int i = 0; i < 60; i++) {
                System.gc();
                long h = heapAfterLastGc();
                heap = Math.min(heap, h);
                last[i % 3] = h;
                boolean settled = (System.nanoTime() - start) / 1_000_000 >= settleMillis;
                if (settled && i >= 2 && Math.max(last[0], Math.max(last[1], last[2]))
                        - Math.min(last[0], Math.min(last[1], last[2])) < 1024) {
                    break;
                }
                Thread.sleep(100);
            }
            return new Usage(heap, metaspaceUsed());
        }

        private static long heapAfterLastGc() {
            long used = 0;
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP && p.getCollectionUsage() != null) {
                    used += p.getCollectionUsage().getUsed();
                }
            }
            return used;
        }

        private static long metaspaceUsed() {
            long used = 0;
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.NON_HEAP && p.getName().contains("Metaspace")) {
                    used += p.getUsage().getUsed();
                }
            }
            return used;
        }

        Map<String, Object> minus(Usage base, int per) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("heapBytes", heap - base.heap);
            m.put("heapBytesPerUnit", (double) (heap - base.heap) / per);
            m.put("metaspaceBytes", metaspace - base.metaspace);
            m.put("metaspaceBytesPerUnit", (double) (metaspace - base.metaspace) / per);
            return m;
        }
    }

    private static final Pattern HISTOGRAM_LINE = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");

    /**
     * A histogram to diff later ones against. Taken twice: the second counts the first one's map,
     * which is then dropped, while its own map, of about the same size, stays reachable; so the map
     * that holds the baseline does not show up in the diffs.
     */
    private static Map<String, Long> baselineHistogram() throws Exception {
        Map<String, Long> first = histogram();
        if (first.isEmpty()) {
            throw new IllegalStateException("no class histogram");
        }
        return histogram();
    }

    /** Class name to bytes, from {@code GC.class_histogram} (which runs a full GC first). */
    private static Map<String, Long> histogram() throws Exception {
        String text = (String) ManagementFactory.getPlatformMBeanServer().invoke(
                new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
        Map<String, Long> bytes = new HashMap<>();
        for (String line : text.split("\n")) {
            Matcher m = HISTOGRAM_LINE.matcher(line);
            if (m.find()) {
                bytes.merge(m.group(3), Long.parseLong(m.group(2)), Long::sum);
                bytes.merge(m.group(3) + "#instances", Long.parseLong(m.group(1)), Long::sum);
            }
        }
        return bytes;
    }

    private static List<Object> histogramDiff(Map<String, Long> before, Map<String, Long> after, int top) {
        List<Map.Entry<String, Long>> deltas = new ArrayList<>();
        for (Map.Entry<String, Long> e : after.entrySet()) {
            if (!e.getKey().endsWith("#instances")) {
                deltas.add(Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)));
            }
        }
        deltas.sort((a, b) -> Long.compare(b.getValue(), a.getValue()));
        List<Object> out = new ArrayList<>();
        for (Map.Entry<String, Long> e : deltas.subList(0, Math.min(top, deltas.size()))) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("class", e.getKey());
            m.put("bytes", e.getValue());
            m.put("instances", after.getOrDefault(e.getKey() + "#instances", 0L)
                    - before.getOrDefault(e.getKey() + "#instances", 0L));
            out.add(m);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void print(Map<String, Object> json) {
        System.out.println("MemoryCost on " + System.getProperty("java.version") + " (" + json.get("gc") + "):");
        for (String k : List.of("perPatchedMethod", "perRegisteredPatch", "perPatchJar")) {
            Map<String, Object> s = (Map<String, Object>) json.get(k);
            StringBuilder sb = new StringBuilder("  " + k + ":");
            for (String step : List.of("registered", "enabled", "enabledAndCalled", "residual", "residualAfterSecondCycle",
                    "retransformTwiceControl")) {
                Map<String, Object> u = (Map<String, Object>) s.get(step);
                if (u == null) {
                    continue;
                }
                sb.append(String.format(" %s %.0f B heap, %.0f B metaspace;", step, u.get("heapBytesPerUnit"),
                        u.get("metaspaceBytesPerUnit")));
            }
            System.out.println(sb);
        }
        Map<String, Object> cycles = (Map<String, Object>) json.get("patchJarCycles");
        StringBuilder sb = new StringBuilder("  patchJarCycles (" + cycles.get("cycles") + "):");
        for (Object o : (List<Object>) cycles.get("readings")) {
            Map<String, Object> r = (Map<String, Object>) o;
            sb.append(String.format(" #%s heap %.3f, metaspace %.3f;", r.get("cycle"), r.get("heapOverFirst"),
                    r.get("metaspaceOverFirst")));
        }
        if (cycles.containsKey("failed")) {
            sb.append(" FAILED at ").append(cycles.get("failed"));
        }
        System.out.println(sb);
        System.out.println("  classLoaderCollected: " + json.get("classLoaderCollected"));
        System.out.println("  noise floor (heap spread at rest): " + ((Map<String, Object>) json.get("noiseFloor")).get("heapSpreadBytes") + " B");
    }
}
