package io.jlivepatch.bench;

import bench.target.UnpatchedUsernameRule;
import bench.target.UsernameRule;
import bench.target.UsernameRuleFix;
import io.jlivepatch.Patch;
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
import org.openjdk.jmh.annotations.Warmup;

import java.lang.reflect.Method;
import java.util.concurrent.TimeUnit;

/**
 * What does a patched call cost, in steady state? One call of a small string check
 * ({@link UsernameRule#isValid(String)}), four ways:
 * <ul>
 *   <li>{@code original}: the same code in a class no patch ever touched ({@link UnpatchedUsernameRule});</li>
 *   <li>{@code direct}: a plain call of the replacement, {@link UsernameRuleFix#isValid(UsernameRule, String)};</li>
 *   <li>{@code patched}: a call of {@code UsernameRule.isValid} after the patch was enabled, so it runs
 *       through the entry hook and its two {@code invokedynamic} call sites into the replacement;</li>
 *   <li>{@code reflective}: the redirect a naive agent would write, {@code Method.invoke} of the
 *       replacement from a field (for comparison).</li>
 * </ul>
 * The patch is enabled in every fork, whichever benchmark runs there, so that all four run in a JVM
 * with the same agent attached and the same classes hooked. Inputs cycle through an array of
 * names, valid and not, read from this state, so nothing constant-folds; the result goes back to JMH.
 * {@code patched/direct} is the figure the core promises to keep near 1.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 3, jvmArgs = {
        "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+EnableDynamicAgentLoading", "-Djdk.attach.allowAttachSelf=true"})
@State(Scope.Thread)
public class CallCost {

    /** Names of 0 to 16 characters; a power-of-two count, so the cursor wraps with a mask. */
    private static final String[] NAMES = {
            "alice", "bob_42", "", "x", "Mallory", "carol.smith", "dave_the_builder", "eve",
            "trent99", "peggy", "victor_v", "walter", "oscar-1", "sybil", "_", "zoe2024"};

    static final int MAX_LENGTH = 12;

    private String[] names;
    private int next;

    private UsernameRule patchedRule;
    private UnpatchedUsernameRule originalRule;
    private Method replacement;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        names = NAMES.clone();
        patchedRule = new UsernameRule(MAX_LENGTH);
        originalRule = new UnpatchedUsernameRule(MAX_LENGTH);
        replacement = UsernameRuleFix.class.getMethod("isValid", UsernameRule.class, String.class);
        BenchPatches.enable(Patch.builder("bench-username-rule")
                .description("UsernameRule.isValid rejects the empty name")
                .replace(UsernameRule.class.getMethod("isValid", String.class), replacement)
                .build());
        // The four variants must compute what they claim to: patched = direct = reflective, and the
        // original keeps its bug (it accepts ""). A mistake here fails the run instead of measuring it.
        for (String name : names) {
            boolean fixed = UsernameRuleFix.isValid(patchedRule, name);
            boolean buggy = originalRule.isValid(name);
            if (patchedRule.isValid(name) != fixed || (Boolean) replacement.invoke(null, patchedRule, name) != fixed
                    || buggy != (fixed || name.isEmpty())) {
                throw new IllegalStateException("benchmark variants disagree on '" + name + "': the patch did not take");
            }
        }
    }

    private String nextName() {
        return names[next++ & (names.length - 1)];
    }

    @Benchmark
    public boolean original() {
        return originalRule.isValid(nextName());
    }

    @Benchmark
    public boolean direct() {
        return UsernameRuleFix.isValid(patchedRule, nextName());
    }

    @Benchmark
    public boolean patched() {
        return patchedRule.isValid(nextName());
    }

    @Benchmark
    public boolean reflective() throws ReflectiveOperationException {
        return (Boolean) replacement.invoke(null, patchedRule, nextName());
    }
}
