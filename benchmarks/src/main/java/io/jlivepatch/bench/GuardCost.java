package io.jlivepatch.bench;

import io.jlivepatch.internal.patch.RecursionGuard;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What does it cost jlivepatch's own code to mark its thread (the recursion guard, the kernel's
 * {@code ftrace_test_recursion_trylock}), as every operation, class definition the transformer
 * looks at, call-site link and transition pass of a thread not moved yet does? Off the hooks' fast
 * path, which takes no mark.
 * <ul>
 *   <li>{@code mark}: {@code RecursionGuard.enter()} and {@code exit}: a slot of the marked-thread
 *       table claimed and released, after the probe that makes sure the stack has room for the
 *       release (README, "Recursion protection": at the edge of a stack the guard takes no mark);</li>
 *   <li>{@code nested}: the same inside a mark the thread holds already (most of jlivepatch's
 *       stretches): no slot, no probe.</li>
 * </ul>
 * One thread. {@code @Setup} checks that the marks are real ({@code mark} marks the thread, and
 * {@code nested} runs inside a mark).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {
        "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+EnableDynamicAgentLoading", "-Djdk.attach.allowAttachSelf=true"})
@State(Scope.Thread)
public class GuardCost {

    /** The outer mark {@code nested} runs inside; taken and released on the benchmark thread. */
    private int outer = Integer.MIN_VALUE;

    @Setup(Level.Trial)
    public void setUp() {
        BenchPatches.livepatch();
        int m = RecursionGuard.enter(); // the first one completes the installation
        try {
            if (m < 0 || !RecursionGuard.inside()) {
                throw new IllegalStateException("enter did not mark the thread: " + m);
            }
        } finally {
            RecursionGuard.exit(m);
        }
        if (RecursionGuard.inside()) {
            throw new IllegalStateException("exit did not release the mark");
        }
    }

    /** Only for {@code nested}: JMH runs a Thread-scoped state's setup on the benchmark's own thread. */
    @Setup(Level.Iteration)
    public void holdOuterMark(org.openjdk.jmh.infra.BenchmarkParams params) {
        if (params.getBenchmark().endsWith(".nested")) {
            outer = RecursionGuard.enter();
            if (outer < 0 || !RecursionGuard.inside()) {
                throw new IllegalStateException("no outer mark to nest in: " + outer);
            }
        }
    }

    @TearDown(Level.Iteration)
    public void releaseOuterMark() {
        if (outer != Integer.MIN_VALUE) {
            RecursionGuard.exit(outer);
            outer = Integer.MIN_VALUE;
        }
    }

    @Benchmark
    public int mark() {
        int m = RecursionGuard.enter();
        RecursionGuard.exit(m);
        return m;
    }

    @Benchmark
    public int nested() {
        int m = RecursionGuard.enter();
        RecursionGuard.exit(m);
        return m;
    }
}
