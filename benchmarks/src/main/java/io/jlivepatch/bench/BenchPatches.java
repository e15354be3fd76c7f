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

    /** The jlivepatch of this JVM, installed on first use. */
    public static synchronized Livepatch livepatch() {
        if (livepatch == null) {
            livepatch = Livepatch.install(ByteBuddyAgent.install());
        }
        return livepatch;
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
        if (!h.awaitTransition(Duration.ofSeconds(30))) {
            throw new IllegalStateException("patch '" + patch.name() + "' is still in transition after 30 s");
        }
        for (FunctionStatus f : h.functions()) {
            if (f.state() != FunctionStatus.State.PATCHED) {
                throw new IllegalStateException("patch '" + patch.name() + "': " + f.target() + " is "
                        + f.state() + ", not PATCHED: " + f.loaders());
            }
        }
        return h;
    }
}
