package io.jlivepatch.bench;

import io.jlivepatch.FunctionStatus;
import io.jlivepatch.PatchHandle;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.lang.instrument.UnmodifiableClassException;
import java.security.ProtectionDomain;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What does changing the running program cost? The wall time of one {@code enable()} and of one
 * {@code disable()}, each with its whole transition ({@code awaitTransition}), of a patch replacing
 * {@code methods} methods: 1 method, 100 methods in 10 classes, 1000 methods in 100 classes, generated
 * at set-up ({@link GeneratedTargets}), all replaced by one shared static method. Next to it the
 * physical limit: {@code retransform}, one {@link Instrumentation#retransformClasses} of the same
 * classes with a no-op transformer, in a fork where jlivepatch is not installed (ratios are to it);
 * and {@code retransformBeside}, the same in a fork where jlivepatch runs, which separates what the
 * JVM's redefinition costs in that JVM from jlivepatch's own work.
 *
 * <p>One shot per iteration ({@code SingleShotTime}); the state is reset outside the measurement: before
 * each {@code enable} shot the patch is disabled, before each {@code disable} shot it is enabled and every
 * target method has been called once, so that the hooks' call sites are linked as in a program that
 * runs the methods. No thread runs the methods during the shot, so the transitions end at their first
 * attempt; what is measured is jlivepatch's own work (retransformation, relinking, the stack check), not
 * waiting for threads. After each shot every function is checked ({@code PATCHED} / {@code NOT_PATCHED})
 * and one method is called, so a change that did not take fails the run.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 10)
@Measurement(iterations = 20)
@Fork(value = 3, jvmArgs = {
        "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+EnableDynamicAgentLoading", "-Djdk.attach.allowAttachSelf=true"})
public class ChangeCost {

    /** The generated target classes (a class loader of their own). */
    @State(Scope.Benchmark)
    public static class Targets {
        /** Replaced methods: 1 (1 class), 100 (10 classes of 10), 1000 (100 classes of 10). */
        @Param({"1", "100", "1000"})
        public int methods;

        GeneratedTargets targets;
        Class<?>[] classes;

        @Setup(Level.Trial)
        public void generate() {
            targets = GeneratedTargets.define("bench.gen.change" + methods, methods);
            classes = targets.classes().toArray(new Class<?>[0]);
            targets.callAll(false);
        }
    }

    /** jlivepatch installed and one patch of every target method registered, disabled. */
    @State(Scope.Benchmark)
    public static class Registered {
        PatchHandle handle;
        Targets targets;

        @Setup(Level.Trial)
        public void register(Targets t) throws Exception {
            targets = t;
            handle = BenchPatches.livepatch().register(t.targets.patch("bench-change-" + t.methods));
        }

        void ensure(boolean enabled) throws Exception {
            if (handle.isEnabled() != enabled) {
                if (enabled) {
                    handle.enable();
                } else {
                    handle.disable();
                }
                BenchPatches.awaitTransition(handle, Duration.ofSeconds(60));
            }
        }

        void verify(boolean enabled) {
            BenchPatches.requireAll(handle, enabled ? FunctionStatus.State.PATCHED : FunctionStatus.State.NOT_PATCHED);
            var m = targets.targets.methods().get(targets.targets.methods().size() - 1);
            int got = GeneratedTargets.call(m, 1);
            int want = enabled ? GeneratedTargets.patched(1) : GeneratedTargets.original(m, 1);
            if (got != want) {
                throw new IllegalStateException(m + " returned " + got + " after " + (enabled ? "enable" : "disable")
                        + ", expected " + want);
            }
        }
    }

    /** Before each {@code enable} shot: the patch disabled. */
    @State(Scope.Benchmark)
    public static class Disabled {
        Registered registered;

        @Setup(Level.Iteration)
        public void disable(Registered r) throws Exception {
            registered = r;
            r.ensure(false);
        }

        @TearDown(Level.Iteration)
        public void check() {
            registered.verify(true);
        }
    }

    /** Before each {@code disable} shot: the patch enabled and every method called once (sites linked). */
    @State(Scope.Benchmark)
    public static class Enabled {
        Registered registered;

        @Setup(Level.Iteration)
        public void enable(Registered r) throws Exception {
            registered = r;
            r.ensure(true);
            r.targets.targets.callAll(true);
        }

        @TearDown(Level.Iteration)
        public void check() {
            registered.verify(false);
        }
    }

    /** A no-op retransformation-capable transformer; jlivepatch is not installed in this fork. */
    @State(Scope.Benchmark)
    public static class NoOpTransformer {
        Instrumentation instrumentation;
        private final ClassFileTransformer noOp = new ClassFileTransformer() {
            @Override
            public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefined,
                                    ProtectionDomain domain, byte[] classFile) {
                return null;
            }
        };

        @Setup(Level.Trial)
        public void add() {
            instrumentation = BenchPatches.instrumentation();
            instrumentation.addTransformer(noOp, true);
        }

        @TearDown(Level.Trial)
        public void remove() {
            instrumentation.removeTransformer(noOp);
        }
    }

    @Benchmark
    public PatchHandle enable(Disabled s) throws Exception {
        PatchHandle h = s.registered.handle;
        h.enable();
        BenchPatches.awaitTransition(h, Duration.ofSeconds(60));
        return h;
    }

    @Benchmark
    public PatchHandle disable(Enabled s) throws Exception {
        PatchHandle h = s.registered.handle;
        h.disable();
        BenchPatches.awaitTransition(h, Duration.ofSeconds(60));
        return h;
    }

    @Benchmark
    public Class<?>[] retransform(Targets t, NoOpTransformer n) throws UnmodifiableClassException {
        n.instrumentation.retransformClasses(t.classes);
        return t.classes;
    }

    /**
     * Before each {@code retransformBeside} shot: jlivepatch installed and active, the patch registered,
     * and one {@code enable} + calls + {@code disable} just done, as before an {@code enable} shot.
     */
    @State(Scope.Benchmark)
    public static class Beside {
        Registered registered;

        @Setup(Level.Iteration)
        public void cycle(Registered r) throws Exception {
            registered = r;
            r.ensure(true);
            r.targets.targets.callAll(true);
            r.ensure(false);
        }

        @TearDown(Level.Iteration)
        public void check() {
            registered.verify(false);
        }
    }

    /**
     * {@code retransform} in a JVM where jlivepatch runs (installed, active, one patch registered and
     * cycled), with the same no-op transformer: what the JVM itself needs to retransform these
     * classes in the JVM that {@code enable} and {@code disable} run in. Not the target's baseline
     * (that is {@code retransform}): the difference between the two is what jlivepatch's presence
     * (its classes, its compiled code, its method handles) adds to every retransformation of the JVM,
     * which HotSpot's redefinition walks at its safepoint (BENCHMARKS.md, section 2).
     */
    @Benchmark
    public Class<?>[] retransformBeside(Beside b, NoOpTransformer n) throws UnmodifiableClassException {
        Class<?>[] classes = b.registered.targets.classes;
        n.instrumentation.retransformClasses(classes);
        return classes;
    }
}
