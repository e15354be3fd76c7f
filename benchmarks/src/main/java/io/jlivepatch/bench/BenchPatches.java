package io.jlivepatch.bench;

import io.jlivepatch.FunctionStatus;
import io.jlivepatch.Livepatch;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.lang.instrument.Instrumentation;
import java.time.Duration;
import java.util.Optional;

/**
 * JVM-wide patch set-up for benchmarks. A patch is global to the JVM while JMH states may be
 * per thread, so enabling is idempotent: the first caller registers and enables, later callers
 * get the same handle.
 *
 * <p>The fork JVM gets its {@link Instrumentation} by attaching to itself (Byte Buddy's installer);
 * every {@code @Fork} must pass {@code -XX:+IgnoreUnrecognizedVMOptions -XX:+EnableDynamicAgentLoading
 * -Djdk.attach.allowAttachSelf=true} ({@code IgnoreUnrecognizedVMOptions} first, so that JDK 17 skips
 * the flag it does not know; JDK 21+ warns about a dynamically loaded agent without it).
 */
public final class BenchPatches {

    private static Livepatch livepatch;

    private BenchPatches() {
    }

    /** This JVM's {@link Instrumentation}, by self-attach on first use; does not install jlivepatch. */
    public static synchronized Instrumentation instrumentation() {
        return ByteBuddyAgent.install();
    }

    /** The jlivepatch of this JVM, installed on first use. */
    public static synchronized Livepatch livepatch() {
        if (livepatch == null) {
            livepatch = Livepatch.install(instrumentation());
        }
        return livepatch;
    }

    /** Waits for {@code h}'s transition; fails (instead of measuring something else) when it does not end. */
    public static void awaitTransition(PatchHandle h, Duration timeout) throws InterruptedException {
        if (!h.awaitTransition(timeout)) {
            throw new IllegalStateException("patch '" + h.name() + "' is still in transition after " + timeout
                    + ": " + h.functions());
        }
    }

    /** Fails unless every function of {@code h} is in {@code state} in every class loader. */
    public static void requireAll(PatchHandle h, FunctionStatus.State state) {
        for (FunctionStatus f : h.functions()) {
            if (f.state() != state) {
                throw new IllegalStateException("patch '" + h.name() + "': " + f.target() + " is "
                        + f.state() + ", not " + state + ": " + f.loaders());
            }
        }
    }

    /**
     * Registers (unless a patch of that name is registered) and enables {@code patch}, waits for its
     * transition to end and checks that every function is patched; the benchmark must fail, not
     * measure the original, if it is not.
     */
    public static synchronized PatchHandle enable(Patch patch) throws PatchException, InterruptedException {
        Optional<PatchHandle> existing = livepatch().find(patch.name());
        PatchHandle h = existing.isPresent() ? existing.get() : livepatch().register(patch);
        if (!h.isEnabled()) {
            h.enable();
        }
        awaitTransition(h, Duration.ofSeconds(30));
        requireAll(h, FunctionStatus.State.PATCHED);
        return h;
    }
}
