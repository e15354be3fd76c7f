package io.jlivepatch.bench;

import bench.target.AdviceUsernameRule;
import bench.target.CheapRule;
import bench.target.CheapRuleFix;
import bench.target.NextCheapRule;
import bench.target.NextCheapRuleFix;
import bench.target.UnpatchedCheapRule;
import bench.target.DisabledUsernameRule;
import bench.target.MapRedirectRule;
import bench.target.ReflectiveRedirectRule;
import bench.target.TransitionUsernameRule;
import bench.target.UnpatchedUsernameRule;
import bench.target.UsernameRule;
import bench.target.UsernameRuleFix;
import bench.target.VolatileRedirectRule;
import io.jlivepatch.FunctionStatus;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.patch.RecursionGuard;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.dynamic.loading.ClassReloadingStrategy;
import net.bytebuddy.matcher.ElementMatchers;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
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
import org.openjdk.jmh.infra.BenchmarkParams;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What does a call cost? One call of a small string check ("1 to 12 characters from
 * {@code [a-z0-9_]}"; the bug: it accepts ""), each variant in a class of its own with the same body:
 * <ul>
 *   <li>{@code original}: a class no patch ever touched ({@link UnpatchedUsernameRule});</li>
 *   <li>{@code direct}: a plain call of the replacement, {@link UsernameRuleFix#isValid(UsernameRule, String)}
 *       (the baseline of every ratio);</li>
 *   <li>{@code patched}: {@link UsernameRule#isValid} with a jlivepatch patch enabled, transition done:
 *       the entry hook and its two {@code invokedynamic} call sites into the replacement;</li>
 *   <li>{@code afterDisable}: {@link DisabledUsernameRule#isValid}, patched, called 20,000 times while
 *       patched, then disabled (and unregistered, so that the stack is clean for the next patch): the
 *       hook is gone (checked in the class bytes), the call must cost what {@code original} costs;</li>
 *   <li>{@code inTransition}: {@link TransitionUsernameRule#isValid} while its patch's transition is held
 *       open by a thread parked inside {@link TransitionUsernameRule#hold}, another method of the same
 *       patch ({@link HeldTransition}); the call is routed by the calling thread's patch state;</li>
 *   <li>the redirects a user would otherwise build, each a copy of the target with a prologue that
 *       calls the replacement and skips the body: {@code reflectiveRedirect} ({@code Method.invoke} of
 *       a {@code static volatile Method}), {@code volatileRedirect} (a {@code static volatile BiFunction}),
 *       {@code mapRedirect} (a {@code ConcurrentHashMap<String, BiFunction>} lookup) and
 *       {@code adviceRedirect} (a Byte Buddy {@code Advice} entry hook that skips the original and
 *       substitutes the return value, installed by redefinition of {@link AdviceUsernameRule}).</li>
 * </ul>
 * Every fork sets up everything but the held transition (see {@link #prepareJvm()}), whichever
 * benchmark runs there, so that all run in a JVM with the same agents attached and the same classes
 * hooked; the held transition exists only in the {@code inTransition} fork, since its worker's stack
 * snapshots would disturb the others. Inputs cycle through 16 names read from this state, so nothing
 * constant-folds; the result goes back to JMH. {@code @Setup} checks that every variant computes what it
 * claims (the fixed answer, or the original bug), so a patch or redirect that did not take fails the run.
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

    /** The cheap target's factor (CheapRule). */
    static final int CHEAP_FACTOR = 3;

    /** Calls of the afterDisable target while it is patched, enough for C2 to compile it with the hook. */
    static final int CALLS_WHILE_PATCHED = 20_000;

    private String[] names;
    private int next;

    private UsernameRule patchedRule;
    private UnpatchedUsernameRule originalRule;
    private DisabledUsernameRule disabledRule;
    private TransitionUsernameRule transitionRule;
    private ReflectiveRedirectRule reflectiveRule;
    private VolatileRedirectRule volatileRule;
    private MapRedirectRule mapRule;
    private AdviceUsernameRule adviceRule;
    private CheapRule cheapRule;
    private UnpatchedCheapRule cheapOriginalRule;
    private NextCheapRule cheapNextRule;
    private int x;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        prepareJvm();
        names = NAMES.clone();
        patchedRule = new UsernameRule(MAX_LENGTH);
        originalRule = new UnpatchedUsernameRule(MAX_LENGTH);
        disabledRule = new DisabledUsernameRule(MAX_LENGTH);
        transitionRule = new TransitionUsernameRule(MAX_LENGTH);
        reflectiveRule = new ReflectiveRedirectRule(MAX_LENGTH);
        volatileRule = new VolatileRedirectRule(MAX_LENGTH);
        mapRule = new MapRedirectRule(MAX_LENGTH);
        adviceRule = new AdviceUsernameRule(MAX_LENGTH);
        cheapRule = new CheapRule(CHEAP_FACTOR);
        cheapOriginalRule = new UnpatchedCheapRule(CHEAP_FACTOR);
        cheapNextRule = new NextCheapRule(CHEAP_FACTOR);
        for (int i = -3; i <= 3; i++) {
            if (cheapNextRule.scale(i) != i * CHEAP_FACTOR) {
                throw new IllegalStateException("NextCheapRule.scale(" + i + ") is " + cheapNextRule.scale(i)
                        + ": its replacement's @Next did not run the original");
            }
            if (cheapRule.scale(i) != CheapRuleFix.scale(cheapRule, i) || cheapRule.scale(i) != i * CHEAP_FACTOR + 1
                    || cheapOriginalRule.scale(i) != i * CHEAP_FACTOR) {
                throw new IllegalStateException("the cheap variants do not compute what they claim for " + i
                        + ": the patch of CheapRule.scale did not take");
            }
        }
        // Every variant must compute what it claims: the fixed answer, or (original, afterDisable) the
        // bug, which accepts "". A mistake here fails the run instead of measuring it. The
        // inTransition variant is checked by HeldTransition, which exists only in its fork.
        for (String name : names) {
            boolean fixed = UsernameRuleFix.check(MAX_LENGTH, name);
            boolean buggy = fixed || name.isEmpty();
            check("direct", UsernameRuleFix.isValid(patchedRule, name), fixed, name);
            check("patched", patchedRule.isValid(name), fixed, name);
            check("original", originalRule.isValid(name), buggy, name);
            check("afterDisable", disabledRule.isValid(name), buggy, name);
            check("reflectiveRedirect", reflectiveRule.isValid(name), fixed, name);
            check("volatileRedirect", volatileRule.isValid(name), fixed, name);
            check("mapRedirect", mapRule.isValid(name), fixed, name);
            check("adviceRedirect", adviceRule.isValid(name), fixed, name);
        }
    }

    /**
     * Starts every iteration as a JVM where jlivepatch has been idle for a while would run: the hooks'
     * guard is the constant (BENCHMARKS.md, section 1). Left alone, the guard's relaxer does the same
     * once no thread has been marked for a quiet spell (a second, doubling each time a spell ends
     * early), which the warm-up may or may not cover. It is set back to the check by every class
     * load, since each runs jlivepatch's transformer, which marks the loading thread; JMH's forked VM
     * loads classes between iterations (its result statistics after the first, its results frame
     * after the first measurement): the results frame is loaded here, before the first measurement,
     * and what other loads set back is made the constant again here, before the next iteration.
     * Not in {@code inTransition}'s fork, where the transition's worker, marked at each of its passes,
     * keeps setting the guard back to the check.
     */
    @Setup(Level.Iteration)
    public void idle(BenchmarkParams params) throws ClassNotFoundException {
        if (params.getBenchmark().endsWith(".inTransition")) {
            return;
        }
        Class.forName("org.openjdk.jmh.runner.link.ResultsFrame");
        RecursionGuard.relaxNow(); // a no-op when it is the constant already
    }

    private int iterations;
    private int switchedBack;

    /** Counts the iterations at whose end the guard was the check again (something marked a thread). */
    @TearDown(Level.Iteration)
    public void afterIteration(BenchmarkParams params) {
        if (params.getBenchmark().endsWith(".inTransition")) {
            return;
        }
        iterations++;
        if (!RecursionGuard.guardIsConstant()) {
            switchedBack++;
        }
    }

    /** Says so when the guard did not stay the constant: those iterations include the check and a recompilation. */
    @TearDown(Level.Trial)
    public void reportGuard() {
        if (switchedBack > 0) {
            System.out.println("CallCost: the hooks' guard was set back to the check during " + switchedBack + " of "
                    + iterations + " iterations (warm-up included)");
        }
    }

    static void check(String variant, boolean got, boolean want, String name) {
        if (got != want) {
            throw new IllegalStateException(variant + " answers " + got + " for '" + name + "', expected " + want
                    + ": its patch or redirect did not take (or did not come off)");
        }
    }

    private static boolean prepared;

    /**
     * Once per JVM: the jlivepatch patch of {@link UsernameRule}, the patched-then-disabled
     * {@link DisabledUsernameRule}, and the three hand-written redirects and the Byte Buddy advice.
     */
    static synchronized void prepareJvm() throws Exception {
        if (prepared) {
            return;
        }
        BenchPatches.enable(Patch.builder("bench-username-rule")
                .description("UsernameRule.isValid rejects the empty name")
                .replace(UsernameRule.class.getMethod("isValid", String.class),
                        UsernameRuleFix.class.getMethod("isValid", UsernameRule.class, String.class))
                .build());
        patchAndDisable();
        BenchPatches.enable(Patch.builder("bench-cheap-rule")
                .description("CheapRule.scale adds its offset")
                .replace(CheapRule.class.getMethod("scale", int.class),
                        CheapRuleFix.class.getMethod("scale", CheapRule.class, int.class))
                .build());
        BenchPatches.enable(Patch.builder("bench-next-cheap-rule")
                .description("NextCheapRule.scale runs the version below through @Next, and nothing else")
                .replace(NextCheapRule.class.getMethod("scale", int.class), NextCheapRuleFix.class.getMethod("scale",
                        NextCheapRule.class, int.class, java.lang.invoke.MethodHandle.class))
                .build());
        ReflectiveRedirectRule.redirect = UsernameRuleFix.class.getMethod("isValid", ReflectiveRedirectRule.class,
                String.class);
        VolatileRedirectRule.redirect = UsernameRuleFix::isValid;
        MapRedirectRule.REDIRECTS.put(MapRedirectRule.KEY, UsernameRuleFix::isValid);
        new ByteBuddy()
                .redefine(AdviceUsernameRule.class)
                .visit(Advice.to(RedirectAdvice.class).on(ElementMatchers.named("isValid")))
                .make()
                .load(AdviceUsernameRule.class.getClassLoader(), ClassReloadingStrategy.fromInstalledAgent());
        prepared = true;
    }

    /** Patches DisabledUsernameRule.isValid, runs it hot, disables the patch and checks that the hook went. */
    private static void patchAndDisable() throws Exception {
        PatchHandle h = BenchPatches.enable(Patch.builder("bench-after-disable")
                .description("DisabledUsernameRule.isValid rejects the empty name, then comes off")
                .replace(DisabledUsernameRule.class.getMethod("isValid", String.class),
                        UsernameRuleFix.class.getMethod("isValid", DisabledUsernameRule.class, String.class))
                .build());
        int hooked = invokedynamicsIn(DisabledUsernameRule.class, "isValid");
        if (hooked == 0) {
            throw new IllegalStateException("the probe finds no hook in the patched DisabledUsernameRule.isValid");
        }
        DisabledUsernameRule rule = new DisabledUsernameRule(MAX_LENGTH);
        int accepted = 0;
        for (int i = 0; i < CALLS_WHILE_PATCHED; i++) {
            if (rule.isValid(NAMES[i & (NAMES.length - 1)])) {
                accepted++;
            }
        }
        if (rule.isValid("")) {
            throw new IllegalStateException("DisabledUsernameRule is not patched (" + accepted + " accepted)");
        }
        h.disable();
        BenchPatches.awaitTransition(h, Duration.ofSeconds(30));
        BenchPatches.requireAll(h, FunctionStatus.State.NOT_PATCHED);
        h.unregister();
        int left = invokedynamicsIn(DisabledUsernameRule.class, "isValid");
        if (left != 0) {
            throw new IllegalStateException("after disable, DisabledUsernameRule.isValid still holds " + left
                    + " invokedynamic instructions: the hook was not removed");
        }
    }

    /**
     * The number of {@code invokedynamic} instructions in method {@code name} of {@code c} as the JVM
     * runs it: the class is retransformed once with a transformer added after jlivepatch's, which sees
     * the bytes jlivepatch's transformer leaves (the current hooks), and changes nothing.
     */
    static int invokedynamicsIn(Class<?> c, String name) throws Exception {
        Instrumentation inst = BenchPatches.instrumentation();
        byte[][] seen = new byte[1][];
        ClassFileTransformer probe = new ClassFileTransformer() {
            @Override
            public byte[] transform(Module module, ClassLoader loader, String className, Class<?> redefined,
                                    ProtectionDomain domain, byte[] classFile) {
                if (redefined == c) {
                    seen[0] = classFile.clone();
                }
                return null;
            }
        };
        inst.addTransformer(probe, true);
        try {
            inst.retransformClasses(c);
        } finally {
            inst.removeTransformer(probe);
        }
        if (seen[0] == null) {
            throw new IllegalStateException("the probe did not see " + c.getName());
        }
        AtomicInteger count = new AtomicInteger();
        new ClassReader(seen[0]).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String m, String descriptor, String signature,
                                             String[] exceptions) {
                if (!m.equals(name)) {
                    return null;
                }
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitInvokeDynamicInsn(String n, String d, Handle bsm, Object... args) {
                        count.incrementAndGet();
                    }
                };
            }
        }, 0);
        return count.get();
    }

    /**
     * The Byte Buddy redirect: on entry, call the replacement and skip the original body (a non-null
     * enter value skips it); on exit, return the replacement's answer.
     */
    public static final class RedirectAdvice {
        private RedirectAdvice() {
        }

        @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
        public static Boolean enter(@Advice.This AdviceUsernameRule self, @Advice.Argument(0) String name) {
            return UsernameRuleFix.isValid(self, name);
        }

        @Advice.OnMethodExit
        public static void exit(@Advice.Enter Boolean replaced,
                                @Advice.Return(readOnly = false) boolean returned) {
            if (replaced != null) {
                returned = replaced;
            }
        }
    }

    /**
     * A transition held open for a whole trial: a thread parks inside the old
     * {@link TransitionUsernameRule#hold}, then a patch replacing {@code hold} and {@code isValid} is
     * enabled. That thread keeps the old versions (and the transition open) until teardown; every
     * other thread moves to the patched state at its first hook and its calls are routed per thread.
     * Teardown fails the run if the transition ended before it (the figure would be a steady state).
     */
    @State(Scope.Benchmark)
    public static class HeldTransition {
        private final CountDownLatch entered = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);
        private Thread holder;
        private PatchHandle handle;

        @Setup(Level.Trial)
        public void hold() throws Exception {
            prepareJvm();
            holder = new Thread(() -> TransitionUsernameRule.hold(entered, release), "bench-held-in-old-hold");
            holder.setDaemon(true);
            holder.start();
            entered.await();
            handle = BenchPatches.livepatch().register(Patch.builder("bench-in-transition")
                    .description("TransitionUsernameRule: isValid rejects the empty name; hold returns at once")
                    .replace(TransitionUsernameRule.class.getMethod("isValid", String.class),
                            UsernameRuleFix.class.getMethod("isValid", TransitionUsernameRule.class, String.class))
                    .replace(TransitionUsernameRule.class.getMethod("hold", CountDownLatch.class, CountDownLatch.class),
                            UsernameRuleFix.class.getMethod("hold", CountDownLatch.class, CountDownLatch.class))
                    .build());
            handle.enable();
            if (handle.awaitTransition(Duration.ofMillis(50)) || !handle.inTransition()) {
                throw new IllegalStateException("the transition of '" + handle.name()
                        + "' ended although a thread sits in the old hold()");
            }
            TransitionUsernameRule rule = new TransitionUsernameRule(MAX_LENGTH);
            for (String name : NAMES) {
                check("inTransition", rule.isValid(name), UsernameRuleFix.check(MAX_LENGTH, name), name);
            }
        }

        @TearDown(Level.Trial)
        public void release() throws Exception {
            boolean heldThroughout = handle.inTransition();
            release.countDown();
            holder.join(10_000);
            BenchPatches.awaitTransition(handle, Duration.ofSeconds(30));
            if (!heldThroughout) {
                throw new IllegalStateException("the transition of '" + handle.name()
                        + "' ended during the measurement: inTransition measured a steady state");
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
    public boolean afterDisable() {
        return disabledRule.isValid(nextName());
    }

    @Benchmark
    public boolean inTransition(HeldTransition held) {
        return transitionRule.isValid(nextName());
    }

    @Benchmark
    public boolean reflectiveRedirect() {
        return reflectiveRule.isValid(nextName());
    }

    @Benchmark
    public boolean volatileRedirect() {
        return volatileRule.isValid(nextName());
    }

    @Benchmark
    public boolean mapRedirect() {
        return mapRule.isValid(nextName());
    }

    @Benchmark
    public boolean adviceRedirect() {
        return adviceRule.isValid(nextName());
    }

    /** The cheap target (about a nanosecond), never patched. */
    @Benchmark
    public int cheapOriginal() {
        return cheapOriginalRule.scale(x++);
    }

    /** Its replacement, called directly. */
    @Benchmark
    public int cheapDirect() {
        return CheapRuleFix.scale(cheapRule, x++);
    }

    /** The cheap target, patched: to compare with cheapDirect. */
    @Benchmark
    public int cheapPatched() {
        return cheapRule.scale(x++);
    }

    /**
     * The cheap target's twin, patched with a replacement that only calls its {@code @Next} (the
     * original code): to compare with cheapOriginal (issue 17: it should cost what the original costs).
     */
    @Benchmark
    public int cheapNext() {
        return cheapNextRule.scale(x++);
    }
}
