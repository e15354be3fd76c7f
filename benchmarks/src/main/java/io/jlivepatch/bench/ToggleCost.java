package io.jlivepatch.bench;

import bench.target.ToggledRule;
import bench.target.ToggledRuleFix;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * What does changing patches cost the threads that keep running? Throughput of a patched method
 * ({@link ToggledRule#verdict}, a small string check) called by 4 threads:
 * <ul>
 *   <li>group {@code steady}: the patch enabled, nothing else happening (the baseline);</li>
 *   <li>group {@code toggling}: the same 4 callers ({@code calls}) while a fifth thread ({@code toggle})
 *       disables and enables the patch in turn, waits for each transition to end, then sleeps 1 ms.
 *       Each toggle retransforms the class (the hook comes and goes) and relinks the call sites, so
 *       compiled callers are deoptimized; the toggle's own throughput is the toggle rate.</li>
 *   <li>group {@code tenPerSecond}: the same, but the toggler changes the patch ten times a second (a
 *       change every 100 ms, on a fixed schedule): what a program that changes patches now and then
 *       keeps of its throughput.</li>
 * </ul>
 * And the JVM's own floor for the same, in forks where jlivepatch is not installed: the same 4 callers
 * of the same method, never patched ({@code unpatchedSteady}); the same while a fifth thread
 * retransforms its class with a transformer that changes nothing, as often as it can with the same
 * 1 ms rest ({@code retransforming}) or ten times a second ({@code retransformingAtTen}). A
 * retransformation is what any change of a method's code costs the JVM: its compiled code, and that of
 * the callers that inlined it, is thrown away however little the code changed. So these groups say what
 * a design that changes bytecode cannot avoid, and the difference to {@code toggling} what jlivepatch adds.
 * Every call is checked: its result must be the original's or the replacement's answer for that input
 * (they never coincide); anything else, or an exception, is a failed call. The counts are reported as
 * JMH secondary results ({@code failedCalls}, and {@code originalResults} / {@code patchedResults}, which
 * show that the toggling took effect), and any failed call fails the run at teardown. The machine has 2
 * vCPUs: 4 callers (and in {@code toggling} the toggler and jlivepatch's transition worker) share them.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 3, jvmArgs = {
        "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+EnableDynamicAgentLoading", "-Djdk.attach.allowAttachSelf=true"})
public class ToggleCost {

    private static final String[] NAMES = {
            "alice", "bob_42", "", "x", "Mallory", "carol.smith", "dave_the_builder", "eve",
            "trent99", "peggy", "victor_v", "walter", "oscar-1", "sybil", "_", "zoe2024"};

    /** The patch, the expected answers, and the failure counts of the whole trial. */
    @State(Scope.Benchmark)
    public static class Shared {
        final ToggledRule rule = new ToggledRule(12);
        final int[] originalAnswers = new int[NAMES.length];
        final int[] patchedAnswers = new int[NAMES.length];
        final Failures failures = new Failures();
        PatchHandle handle;
        long toggles;

        @Setup(Level.Trial)
        public void enable() throws Exception {
            for (int i = 0; i < NAMES.length; i++) {
                originalAnswers[i] = rule.verdict(NAMES[i]);
                patchedAnswers[i] = ToggledRuleFix.verdict(rule, NAMES[i]);
                if (originalAnswers[i] == patchedAnswers[i]) {
                    throw new IllegalStateException("original and replacement agree on '" + NAMES[i] + "'");
                }
            }
            handle = BenchPatches.enable(Patch.builder("bench-toggled")
                    .description("ToggledRule.verdict: codes from 1000, rejects the empty name")
                    .replace(ToggledRule.class.getMethod("verdict", String.class),
                            ToggledRuleFix.class.getMethod("verdict", ToggledRule.class, String.class))
                    .build());
            for (int i = 0; i < NAMES.length; i++) {
                if (rule.verdict(NAMES[i]) != patchedAnswers[i]) {
                    throw new IllegalStateException("the patch did not take for '" + NAMES[i] + "'");
                }
            }
        }

        @TearDown(Level.Trial)
        public void check() {
            failures.check(toggles + " toggles", "while the patch was toggled");
        }
    }

    /** A caller thread's cursor and counts (JMH secondary results, summed over threads and iterations). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Caller {
        public long failedCalls;
        public long originalResults;
        public long patchedResults;
        private int next;

        @Setup(Level.Iteration)
        public void reset() {
            failedCalls = 0;
            originalResults = 0;
            patchedResults = 0;
        }
    }

    private static int call(Shared s, Caller c) {
        int i = c.next++ & (NAMES.length - 1);
        try {
            int v = s.rule.verdict(NAMES[i]);
            if (v == s.patchedAnswers[i]) {
                c.patchedResults++;
            } else if (v == s.originalAnswers[i]) {
                c.originalResults++;
            } else {
                s.failures.add(c, new IllegalStateException("verdict('" + NAMES[i] + "') = " + v + ", neither "
                        + s.originalAnswers[i] + " nor " + s.patchedAnswers[i]));
            }
            return v;
        } catch (RuntimeException | Error e) {
            s.failures.add(c, e);
            return -1;
        }
    }

    /** The failed calls of a trial: counted per caller and in all, the first one kept for the report. */
    static final class Failures {
        private final AtomicLong count = new AtomicLong();
        private volatile Throwable first;

        void add(Caller c, Throwable t) {
            c.failedCalls++;
            if (count.getAndIncrement() == 0) {
                first = t;
            }
        }

        /** Prints what the trial did and its failed calls; fails the trial if there was one. */
        void check(String done, String during) {
            System.out.println("ToggleCost: " + done + ", " + count.get() + " failed calls");
            if (count.get() != 0) {
                throw new IllegalStateException(count.get() + " failed calls " + during + " (first: " + first + ")", first);
            }
        }
    }

    @Benchmark
    @Group("steady")
    @GroupThreads(4)
    public int steadyCalls(Shared s, Caller c) {
        return call(s, c);
    }

    @Benchmark
    @Group("toggling")
    @GroupThreads(4)
    public int calls(Shared s, Caller c) {
        return call(s, c);
    }

    /** One toggle: disable or enable, wait for the transition, then 1 ms of rest. */
    @Benchmark
    @Group("toggling")
    @GroupThreads(1)
    public boolean toggle(Shared s) throws Exception {
        boolean enabled = change(s);
        LockSupport.parkNanos(1_000_000L);
        return enabled;
    }

    @Benchmark
    @Group("tenPerSecond")
    @GroupThreads(4)
    public int callsAtTen(Shared s, Caller c) {
        return call(s, c);
    }

    /** The toggler's schedule: the time of its next change. */
    @State(Scope.Thread)
    public static class Schedule {
        long next;

        /** Parks until the next time of the schedule (one every 100 ms) and moves it on. */
        void awaitNext() {
            long now = System.nanoTime();
            if (next == 0 || now - next > 100_000_000L) {
                next = now; // the first change, or one that fell behind: start the schedule again
            }
            while ((now = System.nanoTime()) - next < 0) {
                LockSupport.parkNanos(next - now);
            }
            next += 100_000_000L;
        }
    }

    /** One toggle on a schedule of one every 100 ms: parks until its time, then changes the patch. */
    @Benchmark
    @Group("tenPerSecond")
    @GroupThreads(1)
    public boolean toggleAtTen(Shared s, Schedule t) throws Exception {
        t.awaitNext();
        return change(s);
    }

    /** The floor's state: a never-patched rule, its expected answers, and a transformer that changes nothing. */
    @State(Scope.Benchmark)
    public static class Unpatched {
        final ToggledRule rule = new ToggledRule(12);
        final int[] answers = new int[NAMES.length];
        final Failures failures = new Failures();
        ChangeCost.NoOpTransformer noOp;
        final Class<?>[] classes = {ToggledRule.class};
        long retransformations;

        @Setup(Level.Trial)
        public void answers(ChangeCost.NoOpTransformer n) {
            noOp = n;
            for (int i = 0; i < NAMES.length; i++) {
                answers[i] = rule.verdict(NAMES[i]);
            }
        }

        @TearDown(Level.Trial)
        public void check() {
            failures.check(retransformations + " retransformations", "while the class was retransformed");
        }

        void retransform() throws Exception {
            noOp.instrumentation.retransformClasses(classes);
            retransformations++;
        }
    }

    private static int unpatchedCall(Unpatched s, Caller c) {
        int i = c.next++ & (NAMES.length - 1);
        try {
            int v = s.rule.verdict(NAMES[i]);
            if (v == s.answers[i]) {
                c.originalResults++;
            } else {
                s.failures.add(c, new IllegalStateException("verdict('" + NAMES[i] + "') = " + v + ", not "
                        + s.answers[i]));
            }
            return v;
        } catch (RuntimeException | Error e) {
            s.failures.add(c, e);
            return -1;
        }
    }

    @Benchmark
    @Group("unpatchedSteady")
    @GroupThreads(4)
    public int unpatchedCalls(Unpatched s, Caller c) {
        return unpatchedCall(s, c);
    }

    @Benchmark
    @Group("retransforming")
    @GroupThreads(4)
    public int callsWhileRetransformed(Unpatched s, Caller c) {
        return unpatchedCall(s, c);
    }

    /** One retransformation of the callers' class (no change to its code), then 1 ms of rest, as {@link #toggle}. */
    @Benchmark
    @Group("retransforming")
    @GroupThreads(1)
    public Unpatched retransform(Unpatched s) throws Exception {
        s.retransform();
        LockSupport.parkNanos(1_000_000L);
        return s;
    }

    @Benchmark
    @Group("retransformingAtTen")
    @GroupThreads(4)
    public int callsAtTenRetransformations(Unpatched s, Caller c) {
        return unpatchedCall(s, c);
    }

    /** One retransformation on the schedule of {@link #toggleAtTen}. */
    @Benchmark
    @Group("retransformingAtTen")
    @GroupThreads(1)
    public Unpatched retransformAtTen(Unpatched s, Schedule t) throws Exception {
        t.awaitNext();
        s.retransform();
        return s;
    }

    /** Disables or enables the patch and waits for its transition to end. */
    private static boolean change(Shared s) throws Exception {
        PatchHandle h = s.handle;
        if (h.isEnabled()) {
            h.disable();
        } else {
            h.enable();
        }
        BenchPatches.awaitTransition(h, Duration.ofSeconds(10));
        s.toggles++;
        return h.isEnabled();
    }
}
