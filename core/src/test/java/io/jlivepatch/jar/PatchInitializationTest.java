package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.jar.fixtures.InitGate;
import io.jlivepatch.jar.fixtures.UnprintableError;
import io.jlivepatch.jar.fixtures.UnprintableFailure;
import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Nothing of a patch runs before it is enabled: loading defines and links its classes but runs no
 * static initializer; the first call of a replacement does.
 */
class PatchInitializationTest {

    /** A hang detector only: a load that runs a blocking initializer never returns. */
    private static final long HANG_SECONDS = 60;

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        // a load that wrongly ran the blocking initializer is stuck on this gate: let it go
        InitGate.OPEN.countDown();
        Jars.removeAll();
    }

    @Test
    void loadingAndEnablingRunNoStaticInitializerTheFirstCallDoes() throws Exception {
        String fix = "io.jlivepatch.jar.fixtures.BlockingInitFix";
        Path jar = Jars.write(dir.resolve("blocking.jar"), Jars.manifest("blocking-init", fix), Jars.classes(fix));
        PatchHandle h = loadWithin(jar);
        assertEquals(0, InitGate.BLOCKING_RUNS.get(), "load ran the patch class's static initializer");
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        assertEquals(0, InitGate.BLOCKING_RUNS.get(), "enable ran the patch class's static initializer");
        InitGate.OPEN.countDown();
        assertEquals("opened 3", Counter.label(3));
        assertEquals(1, InitGate.BLOCKING_RUNS.get(), "the first call initializes the patch class");
    }

    @Test
    void aStaticInitializerThatThrowsIsNotRunByLoad() throws Exception {
        String fix = "io.jlivepatch.jar.fixtures.ThrowingInitFix";
        Path jar = Jars.write(dir.resolve("throwing.jar"), Jars.manifest("throwing-init", fix), Jars.classes(fix));
        PatchHandle h = loadWithin(jar);
        assertEquals("throwing-init", h.name());
        assertEquals(0, InitGate.THROWING_RUNS.get(), "load ran the patch class's static initializer");
        h.unregister();
        assertEquals("#3", Counter.label(3));
    }

    /**
     * A patch class whose initializer throws does not take the patched method down: the call runs
     * the method's own code, and status shows the function FAILED with the reason.
     */
    @Test
    void aReplacementWhoseClassFailsToInitializeLeavesTheMethodOnItsOwnCode() throws Exception {
        String fix = "io.jlivepatch.jar.fixtures.ThrowingInitFix";
        Path jar = Jars.write(dir.resolve("throwing-on.jar"), Jars.manifest("throwing-init-on", fix), Jars.classes(fix));
        PatchHandle h = loadWithin(jar);
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        int runs = InitGate.THROWING_RUNS.get();
        assertEquals("#3", Counter.label(3), "the first call must run the original, not fail");
        assertEquals(runs + 1, InitGate.THROWING_RUNS.get(), "the first call tries the initializer once");
        assertEquals("#4", Counter.label(4));
        assertEquals(runs + 1, InitGate.THROWING_RUNS.get(), "a failed initializer is not tried again");
        String status = awaitStatus(h, "FAILED");
        assertTrue(status.contains("failed to initialize") && status.contains("the static initializer of a patch class ran"),
                status);
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        h.unregister();
        assertEquals("#5", Counter.label(5));
    }

    /**
     * A patch enabled again after its class failed to initialize runs the version below from its
     * first call (the JVM never runs a failed initializer again): status says FAILED from the enable
     * on, not "patched" until that call (an operator's 'enable' read "patching complete", its
     * function "patched", for a patch that could not run).
     */
    @Test
    void aPatchEnabledAgainAfterItsClassFailedShowsFailedBeforeAnyCall() throws Exception {
        // a class of its own: ThrowingInitFix's runs are counted from zero by another test
        PatchHandle h = loadWithin(throwingTop("jarapp.FailedAgain", "init-failed-again"));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        int own = new Counter().next();
        assertTrue(own != -2, "the first call runs the method's own code");
        assertTrue(awaitStatus(h, "FAILED").contains("failed to initialize"));
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        String status = h.functions().toString(); // no call since the enable
        assertTrue(status.contains("FAILED") && status.contains("failed to initialize"), status);
        assertTrue(new Counter().next() != -2, "the call runs the method's own code");
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        h.unregister();
    }

    /**
     * An initializer that throws an Error other than a LinkageError: the JVM passes it to the caller
     * as it is, not wrapped in an ExceptionInInitializerError. The first call runs the method's own
     * code all the same, and status names the initializer's own error (a review found the
     * AssertionError and InternalError reaching the application's first call). A StackOverflowError
     * (as any VirtualMachineError) is not taken as the class's failure at once, as it may have come
     * before the initializer ran: the next call finds the class failed (NoClassDefFoundError).
     */
    @Test
    void anInitializerThatThrowsAnErrorLeavesTheMethodOnItsOwnCode() throws Exception {
        String[][] errors = {
                {"java/lang/AssertionError", "(Ljava/lang/Object;)V"},
                {"java/lang/InternalError", "(Ljava/lang/String;)V"},
                {"java/lang/StackOverflowError", "(Ljava/lang/String;)V"},
        };
        for (String[] error : errors) {
            String simple = error[0].substring(error[0].lastIndexOf('/') + 1);
            String fix = "jarapp.fix.InitThrows" + simple;
            byte[] bytes = Jars.patchClass(fix, Jars::returnsMinusOne, mv -> {
                mv.visitTypeInsn(Opcodes.NEW, error[0]);
                mv.visitInsn(Opcodes.DUP);
                mv.visitLdcInsn("the patch's initializer gave up");
                mv.visitMethodInsn(Opcodes.INVOKESPECIAL, error[0], "<init>", error[1], false);
                mv.visitInsn(Opcodes.ATHROW);
            });
            Path jar = Jars.write(dir.resolve(simple + ".jar"), Jars.manifest("init-" + simple, fix),
                    Map.of(fix.replace('.', '/') + ".class", bytes));
            PatchHandle h = loadWithin(jar);
            h.enable();
            assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
            assertEquals(1, new Counter().next(), simple + ": the first call must run the original, not fail");
            assertEquals(1, new Counter().next(), simple);
            String status = awaitStatus(h, "FAILED");
            assertTrue(status.contains("failed to initialize (") && status.contains("java.lang." + simple + ": the"
                    + " patch's initializer gave up"), status);
            h.disable();
            assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
            h.unregister();
        }
    }

    /**
     * An initializer whose exception cannot be turned into text (its message throws): the first call
     * runs the method's own code all the same, and status names the exception's class. Before, the
     * failure to describe it reached the application's first call.
     */
    @Test
    void anInitializerWhoseExceptionHasNoTextLeavesTheMethodOnItsOwnCode() throws Exception {
        String fix = "jarapp.fix.InitThrowsUnprintable";
        byte[] bytes = Jars.patchClass(fix, Jars::returnsMinusOne, mv -> {
            mv.visitTypeInsn(Opcodes.NEW, "io/jlivepatch/jar/fixtures/UnprintableFailure");
            mv.visitInsn(Opcodes.DUP);
            mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "io/jlivepatch/jar/fixtures/UnprintableFailure", "<init>", "()V",
                    false);
            mv.visitInsn(Opcodes.ATHROW);
        });
        Path jar = Jars.write(dir.resolve("unprintable.jar"), Jars.manifest("init-unprintable", fix),
                Map.of(fix.replace('.', '/') + ".class", bytes));
        PatchHandle h = loadWithin(jar);
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        assertEquals(1, new Counter().next(), "the first call must run the original, not fail");
        assertEquals(1, new Counter().next());
        String status = awaitStatus(h, "FAILED");
        assertTrue(status.contains("failed to initialize (") && status.contains(UnprintableFailure.class.getName()),
                status);
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        h.unregister();
    }

    /**
     * An initializer that throws an Error of the patch's own whose message throws another of its Errors:
     * the first call runs the method's own code all the same, and status names the error's class.
     * Before, the failure to describe it (an Error, where only exceptions, linkage errors and stack
     * overflows were caught) reached the application's first call.
     */
    @Test
    void anInitializerWhoseErrorHasNoTextLeavesTheMethodOnItsOwnCode() throws Exception {
        String fix = "jarapp.fix.InitThrowsUnprintableError";
        byte[] bytes = Jars.patchClass(fix, Jars::returnsMinusOne, mv -> {
            mv.visitTypeInsn(Opcodes.NEW, "io/jlivepatch/jar/fixtures/UnprintableError");
            mv.visitInsn(Opcodes.DUP);
            mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "io/jlivepatch/jar/fixtures/UnprintableError", "<init>", "()V",
                    false);
            mv.visitInsn(Opcodes.ATHROW);
        });
        Path jar = Jars.write(dir.resolve("unprintable-error.jar"), Jars.manifest("init-unprintable-error", fix),
                Map.of(fix.replace('.', '/') + ".class", bytes));
        PatchHandle h = loadWithin(jar);
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        assertEquals(1, new Counter().next(), "the first call must run the original, not fail");
        assertEquals(1, new Counter().next());
        String status = awaitStatus(h, "FAILED");
        assertTrue(status.contains("failed to initialize (") && status.contains(UnprintableError.class.getName()),
                status);
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        h.unregister();
    }

    /**
     * A patch whose class fails to initialize, on top of an enabled patch of the same method: the
     * method runs the version below it, from the call that ran the initializer on: the lower patch
     * stays on, and only the failing patch shows FAILED, in status and in the audit log.
     */
    @Test
    void aReplacementWhoseClassFailsToInitializeOnTopOfAnotherRunsTheVersionBelowIt() throws Exception {
        PatchHandle below = loadWithin(Jars.write(dir.resolve("below.jar"), Jars.manifest("init-below", Jars.FIX),
                Jars.classes(Jars.FIX)));
        below.enable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        assertEquals(-1, new Counter().next());
        PatchHandle h = loadWithin(throwingTop("jarapp.ThrowingTop", "throwing-init-top"));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));

        assertEquals(-1, new Counter().next(), "the call that runs the failing initializer runs the version below");
        String failed = awaitStatus(h, "FAILED");
        assertTrue(failed.contains("the top patch cannot start"), failed);
        assertEquals(-1, new Counter().next(), "and so do the calls after it, not the original");
        assertEquals(-1, new Counter().next());
        String kept = below.functions().toString();
        assertTrue(!kept.contains("FAILED") && kept.contains("PATCHED"), "the patch below is not blamed: " + kept);
        String linked = awaitAudit(l -> l.contains("link throwing-init-top")
                && l.contains("runs the version of patch 'init-below' below it"));
        assertTrue(linked != null, String.join("\n", Jars.auditLog()));

        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        assertEquals(-1, new Counter().next());
        h.unregister();
        below.disable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        assertEquals(1, new Counter().next());
    }

    /**
     * The same under callers that never stop, through the whole transition and after it: every call
     * runs the version below the failing patch, whichever state its thread is in and whichever call
     * runs the initializer; none runs the method's own code or the failing patch's, none throws.
     * Then the same while the failing patch is disabled. Whether the first call comes during the
     * transition or after it is up to the scheduler (the single-thread tests make it after).
     */
    @Test
    void callersOfAMethodWhosePatchFailsToInitializeNeverLeaveTheVersionBelow() throws Exception {
        PatchHandle below = loadWithin(Jars.write(dir.resolve("below-calls.jar"),
                Jars.manifest("init-below-calls", Jars.FIX), Jars.classes(Jars.FIX)));
        below.enable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        PatchHandle h = loadWithin(throwingTop("jarapp.ThrowingTopCalls", "throwing-init-calls"));
        List<String> wrong;
        long calls;
        try (Callers callers = new Callers()) {
            h.enable();
            assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
            String failed = awaitStatus(h, "FAILED");
            assertTrue(failed.contains("the top patch cannot start"), failed);
            long enabled = callers.calls.get();
            h.disable();
            assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
            callers.awaitCalls(enabled + 1000);
            wrong = callers.stop();
            calls = callers.calls.get();
        }
        assertEquals(List.of(), wrong, "calls that ran something else than the version below (-1), of " + calls);
        h.unregister();
        below.disable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        below.unregister();
    }

    /**
     * A patch with {@code @Next} over an enabled patch whose class fails to initialize, the first
     * call of both reaching that initializer through {@code @Next}: the top runs over the original
     * code, from that first call on (not the original alone).
     */
    @Test
    void aNextChainWhoseLowerPatchFailsToInitializeRunsTheTopOverTheOriginal() throws Exception {
        PatchHandle below = loadWithin(throwingTop("jarapp.ThrowingBelow", "throwing-init-below"));
        below.enable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        String top = "jarapp.TimesTenTop";
        PatchHandle h = loadWithin(Jars.write(dir.resolve("times-ten.jar"), Jars.manifest("times-ten-top", top),
                Map.of("jarapp/TimesTenTop.class", timesTenOverNext(top))));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));

        assertEquals(10, new Counter().next(), "the top over the original code (1 × 10)");
        String failed = awaitStatus(below, "FAILED");
        assertTrue(failed.contains("the top patch cannot start"), failed);
        assertEquals(10, new Counter().next());
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        h.unregister();
        below.disable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        assertEquals(1, new Counter().next());
    }

    /**
     * Three patches whose classes fail to initialize, enabled over a working one with no call between:
     * the first call, whose guard meets the three failures in a row, runs the working patch at the
     * bottom, and so do the calls after it (the relinks leave the failed ones out). Before, a call
     * passed over two failed versions at most until the relink, and ran the method's own code (1)
     * past them.
     */
    @Test
    void aCallPassesOverEveryPatchWhoseClassFailsToInitializeToTheWorkingOneBelow() throws Exception {
        List<PatchHandle> stack = workingUnderThreeFailing("over-three");
        assertEquals(-1, new Counter().next(), "the first call runs the working patch below the three");
        for (PatchHandle h : stack.subList(1, 4)) {
            String failed = awaitStatus(h, "FAILED");
            assertTrue(failed.contains("the top patch cannot start"), failed);
        }
        assertEquals(-1, new Counter().next());
        disableTopDown(stack);
        assertEquals(1, new Counter().next());
    }

    /**
     * The same under a patch with {@code @Next} whose class initializes: its first call runs it over the
     * working patch, its {@code @Next} passing over the three that fail (-1 × 10). Before, the call ran
     * the method's own code (1), the top's fix bypassed with the working one's.
     */
    @Test
    void aNextOverPatchesWhoseClassesFailToInitializeCallsTheWorkingOneBelowThem() throws Exception {
        List<PatchHandle> stack = new ArrayList<>(workingUnderThreeFailing("next-over-three"));
        String top = "jarapp.TimesTenOverFailing";
        PatchHandle h = loadWithin(Jars.write(dir.resolve("times-ten-over-failing.jar"),
                Jars.manifest("times-ten-over-failing", top),
                Map.of("jarapp/TimesTenOverFailing.class", timesTenOverNext(top))));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        stack.add(h);
        assertEquals(-10, new Counter().next(), "the top over the working patch below the three");
        for (PatchHandle f : stack.subList(1, 4)) {
            assertTrue(awaitStatus(f, "FAILED").contains("the top patch cannot start"));
        }
        assertEquals(-10, new Counter().next());
        disableTopDown(stack);
        assertEquals(1, new Counter().next());
    }

    /** A working patch (-1) of Counter.next, called once, then three whose classes fail to initialize, uncalled. */
    private List<PatchHandle> workingUnderThreeFailing(String name) throws Exception {
        List<PatchHandle> stack = new ArrayList<>();
        PatchHandle working = loadWithin(Jars.write(dir.resolve(name + ".jar"), Jars.manifest(name, Jars.FIX),
                Jars.classes(Jars.FIX)));
        working.enable();
        assertTrue(working.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        assertEquals(-1, new Counter().next());
        stack.add(working);
        for (int i = 1; i <= 3; i++) {
            String patch = name + "-failing-" + i;
            PatchHandle h = loadWithin(throwingTop("jarapp.Failing" + i + name.replace("-", ""), patch));
            h.enable();
            assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
            stack.add(h);
        }
        return stack;
    }

    private static void disableTopDown(List<PatchHandle> stack) throws Exception {
        for (int i = stack.size() - 1; i >= 0; i--) {
            stack.get(i).disable();
            assertTrue(stack.get(i).awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        }
    }

    /** {@code int next(Counter self, @Next MethodHandle next)} replacing Counter.next: ten times what next returns. */
    private static byte[] timesTenOverNext(String binaryName) {
        org.objectweb.asm.ClassWriter cw = new org.objectweb.asm.ClassWriter(org.objectweb.asm.ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, binaryName.replace('.', '/'), null,
                "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "next",
                "(Ljarapp/Counter;Ljava/lang/invoke/MethodHandle;)I", null, new String[] {"java/lang/Throwable"});
        org.objectweb.asm.AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
        av.visit("target", "jarapp.Counter");
        av.visit("method", "next");
        av.visitEnd();
        mv.visitParameterAnnotation(1, "Lio/jlivepatch/Next;", true).visitEnd();
        mv.visitCode();
        mv.visitVarInsn(Opcodes.ALOAD, 1);
        mv.visitVarInsn(Opcodes.ALOAD, 0);
        mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/invoke/MethodHandle", "invokeExact", "(Ljarapp/Counter;)I",
                false);
        mv.visitIntInsn(Opcodes.BIPUSH, 10);
        mv.visitInsn(Opcodes.IMUL);
        mv.visitInsn(Opcodes.IRETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /**
     * A patch class whose initializer calls the method it patches, then throws: the nested call
     * (which the JVM would let into the class being initialized) runs the version below, never the
     * failing patch's, and so do all later calls; nothing reaches the application as an error.
     */
    @Test
    void anInitializerThatCallsItsOwnMethodAndThrowsNeverRunsItsVersion() throws Exception {
        PatchHandle below = loadWithin(Jars.write(dir.resolve("below-nested.jar"),
                Jars.manifest("init-below-nested", Jars.FIX), Jars.classes(Jars.FIX)));
        below.enable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        System.clearProperty(NESTED);
        String top = "jarapp.NestedThrowingTop";
        PatchHandle h = loadWithin(Jars.write(dir.resolve("nested-throwing.jar"), Jars.manifest("nested-throwing", top),
                Map.of("jarapp/NestedThrowingTop.class", Jars.patchClass(top, PatchInitializationTest::returnsMinusTwo,
                        mv -> {
                            callsCounterNextIntoProperty(mv);
                            throwsCannotStart(mv);
                        }))));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));

        assertEquals(-1, new Counter().next(), "the call that runs the initializer runs the version below");
        assertEquals("-1", System.getProperty(NESTED), "the initializer's own call runs the version below");
        String failed = awaitStatus(h, "FAILED");
        assertTrue(failed.contains("the top patch cannot start"), failed);
        for (int i = 0; i < 3; i++) {
            assertEquals(-1, new Counter().next());
        }
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        h.unregister();
        below.disable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
    }

    /** The same initializer without the throw: its own call runs the original, and the patch runs after. */
    @Test
    void anInitializerThatCallsItsOwnMethodRunsTheOriginalThereAndThePatchAfter() throws Exception {
        System.clearProperty(NESTED);
        String top = "jarapp.NestedTop";
        PatchHandle h = loadWithin(Jars.write(dir.resolve("nested.jar"), Jars.manifest("nested-ok", top),
                Map.of("jarapp/NestedTop.class", Jars.patchClass(top, PatchInitializationTest::returnsMinusTwo,
                        mv -> {
                            callsCounterNextIntoProperty(mv);
                            mv.visitInsn(Opcodes.RETURN);
                        }))));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        assertEquals(-2, new Counter().next(), "the first call runs the patch once its class is initialized");
        assertEquals("1", System.getProperty(NESTED), "the initializer's own call runs the original code");
        assertEquals(-2, new Counter().next());
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        h.unregister();
    }

    /**
     * The same when the initialization is started by other code of the patch (a replacement of one
     * of its classes calling a static of another): the other class's own call of the method it
     * patches runs the original, and once its initializer has thrown, the method keeps running the
     * original, never an error (what the first replacement does with the error is its own business).
     */
    @Test
    void anInitializerStartedByAnotherPatchClassNeverRunsItsVersionBeforeItEnds() throws Exception {
        System.clearProperty(NESTED);
        String a = "jarapp.TwoA";
        String b = "jarapp.TwoB";
        PatchHandle h = loadWithin(Jars.write(dir.resolve("two-classes.jar"), Jars.manifest("two-classes", a + " " + b),
                Map.of("jarapp/TwoA.class", nextCalling(a, b), "jarapp/TwoB.class", labelWithThrowingInit(b))));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));

        assertThrows(ExceptionInInitializerError.class, () -> new Counter().next(),
                "TwoA's replacement runs TwoB.value(), whose class fails: TwoA's own doing");
        assertEquals("#7", System.getProperty(NESTED), "TwoB's initializer's own call of label runs the original");
        assertEquals("#3", Counter.label(3), "TwoB failed to initialize: label runs the original, no error");
        String failed = awaitStatus(h, "FAILED");
        assertTrue(failed.contains("the top patch cannot start"), failed);
        assertEquals("#4", Counter.label(4));
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        h.unregister();
    }

    /** {@code @Replaces Counter.next: static int next(Counter c) { return <other>.value(); }}. */
    private static byte[] nextCalling(String binaryName, String other) {
        return Jars.patchClass(binaryName, mv -> {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, other.replace('.', '/'), "value", "()I", false);
            mv.visitInsn(Opcodes.IRETURN);
        });
    }

    /**
     * {@code static int value() { return 5; }}, {@code @Replaces Counter.label: static String label(int n)
     * { return "B"; }}, and an initializer that calls {@code Counter.label(7)} into {@link #NESTED}, then throws.
     */
    private static byte[] labelWithThrowingInit(String binaryName) {
        org.objectweb.asm.ClassWriter cw = new org.objectweb.asm.ClassWriter(org.objectweb.asm.ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, binaryName.replace('.', '/'), null,
                "java/lang/Object", null);
        MethodVisitor init = cw.visitMethod(Opcodes.ACC_STATIC, "<clinit>", "()V", null, null);
        init.visitCode();
        init.visitLdcInsn(NESTED);
        init.visitIntInsn(Opcodes.BIPUSH, 7);
        init.visitMethodInsn(Opcodes.INVOKESTATIC, "jarapp/Counter", "label", "(I)Ljava/lang/String;", false);
        init.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/System", "setProperty",
                "(Ljava/lang/String;Ljava/lang/String;)Ljava/lang/String;", false);
        init.visitInsn(Opcodes.POP);
        throwsCannotStart(init);
        init.visitMaxs(0, 0);
        init.visitEnd();
        MethodVisitor value = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "value", "()I", null, null);
        value.visitCode();
        value.visitInsn(Opcodes.ICONST_5);
        value.visitInsn(Opcodes.IRETURN);
        value.visitMaxs(0, 0);
        value.visitEnd();
        MethodVisitor label = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "label", "(I)Ljava/lang/String;",
                null, null);
        org.objectweb.asm.AnnotationVisitor av = label.visitAnnotation("Lio/jlivepatch/Replaces;", true);
        av.visit("target", "jarapp.Counter");
        av.visit("method", "label");
        av.visitEnd();
        label.visitCode();
        label.visitLdcInsn("B");
        label.visitInsn(Opcodes.ARETURN);
        label.visitMaxs(0, 0);
        label.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** Where the initializers above leave what their own call of Counter.next returned. */
    private static final String NESTED = "jlivepatch.test.nested-call";

    private static void returnsMinusTwo(MethodVisitor mv) {
        mv.visitIntInsn(Opcodes.BIPUSH, -2);
        mv.visitInsn(Opcodes.IRETURN);
    }

    /** {@code System.setProperty(NESTED, Integer.toString(new Counter().next()))}. */
    private static void callsCounterNextIntoProperty(MethodVisitor mv) {
        mv.visitLdcInsn(NESTED);
        mv.visitTypeInsn(Opcodes.NEW, "jarapp/Counter");
        mv.visitInsn(Opcodes.DUP);
        mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "jarapp/Counter", "<init>", "()V", false);
        mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/Counter", "next", "()I", false);
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Integer", "toString", "(I)Ljava/lang/String;", false);
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/System", "setProperty",
                "(Ljava/lang/String;Ljava/lang/String;)Ljava/lang/String;", false);
        mv.visitInsn(Opcodes.POP);
    }

    private static void throwsCannotStart(MethodVisitor mv) {
        mv.visitTypeInsn(Opcodes.NEW, "java/lang/IllegalStateException");
        mv.visitInsn(Opcodes.DUP);
        mv.visitLdcInsn("the top patch cannot start");
        mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/IllegalStateException", "<init>",
                "(Ljava/lang/String;)V", false);
        mv.visitInsn(Opcodes.ATHROW);
    }

    /**
     * A slow initializer that fails, on top of a patch whose class failed already, over a working
     * patch: while the slow one initializes (and the transition ends, relinking every site) and
     * after it failed, every call runs the working patch at the bottom, never the method's own code
     * (the failed middle patch is no reason to give up on what is below it), and none throws, also
     * when a call passed the guard of one link and runs the call of the next (a hostile trial found
     * both).
     */
    @Test
    void aSlowFailingInitializerOverAFailedPatchOverAWorkingOneNeverLeavesTheWorkingOne() throws Exception {
        PatchHandle bottom = loadWithin(Jars.write(dir.resolve("bottom.jar"), Jars.manifest("init-bottom", Jars.FIX),
                Jars.classes(Jars.FIX)));
        bottom.enable();
        assertTrue(bottom.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        PatchHandle middle = loadWithin(throwingTop("jarapp.FailedMiddle", "failed-middle"));
        middle.enable();
        assertTrue(middle.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        assertEquals(-1, new Counter().next());
        awaitStatus(middle, "FAILED");
        String top = "jarapp.SlowFailingTop";
        PatchHandle slow = loadWithin(Jars.write(dir.resolve("slow-failing.jar"), Jars.manifest("slow-failing", top),
                Map.of("jarapp/SlowFailingTop.class", Jars.patchClass(top, PatchInitializationTest::returnsMinusTwo,
                        mv -> {
                            mv.visitLdcInsn(300L);
                            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Thread", "sleep", "(J)V", false);
                            throwsCannotStart(mv);
                        }))));
        List<String> wrong;
        long calls;
        try (Callers callers = new Callers()) {
            callers.awaitCalls(1000);
            slow.enable();
            assertTrue(slow.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
            String failed = awaitStatus(slow, "FAILED");
            assertTrue(failed.contains("the top patch cannot start"), failed);
            callers.awaitCalls(callers.calls.get() + 1000);
            wrong = callers.stop();
            calls = callers.calls.get();
        }
        assertEquals(List.of(), wrong, "calls that ran something else than the bottom patch (-1), of " + calls);
        for (PatchHandle h : List.of(slow, middle, bottom)) {
            h.disable();
            assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        }
    }

    /**
     * A patch whose class failed stays FAILED in status once a working patch is enabled over it and
     * runs: the link of the top (no {@code @Next}) does not reach the failed version, and says nothing
     * new about it (a hostile trial saw it turn to patched).
     */
    @Test
    void aFailedPatchStaysFailedUnderAWorkingPatchOverIt() throws Exception {
        PatchHandle bottom = loadWithin(Jars.write(dir.resolve("bottom-kept.jar"),
                Jars.manifest("init-bottom-kept", Jars.FIX), Jars.classes(Jars.FIX)));
        bottom.enable();
        assertTrue(bottom.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        PatchHandle middle = loadWithin(throwingTop("jarapp.FailedKept", "failed-kept"));
        middle.enable();
        assertTrue(middle.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        assertEquals(-1, new Counter().next());
        assertTrue(awaitStatus(middle, "FAILED").contains("FAILED"));
        PatchHandle top = loadWithin(Jars.write(dir.resolve("top-kept.jar"), Jars.manifest("init-top-kept", Jars.FIX),
                Jars.classes(Jars.FIX)));
        top.enable();
        assertTrue(top.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        assertEquals(-1, new Counter().next(), "the top runs");
        String topStatus = awaitStatus(top, "PATCHED");
        assertTrue(topStatus.contains("PATCHED"), topStatus);
        // the top's class initialized at that call, and every site was relinked without its gate
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < deadline) {
            String kept = middle.functions().toString();
            assertTrue(kept.contains("FAILED") && kept.contains("the top patch cannot start"), kept);
            Thread.sleep(20);
        }
        for (PatchHandle h : List.of(top, middle, bottom)) {
            h.disable();
            assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        }
    }

    /**
     * Four threads calling {@code new Counter().next()} without a pause until stopped, each call that
     * returns anything but -1, or throws, recorded (the first 20). Started, running, when made.
     */
    private static final class Callers implements AutoCloseable {
        final AtomicLong calls = new AtomicLong();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        private final ExecutorService pool = Executors.newFixedThreadPool(4);

        Callers() throws InterruptedException {
            CountDownLatch running = new CountDownLatch(4);
            for (int i = 0; i < 4; i++) {
                pool.execute(() -> {
                    running.countDown();
                    while (!stop.get()) {
                        try {
                            int r = new Counter().next();
                            if (r != -1 && wrong.size() < 20) {
                                wrong.add(Thread.currentThread().getName() + " got " + r);
                            }
                        } catch (Throwable t) {
                            if (wrong.size() < 20) {
                                wrong.add(Thread.currentThread().getName() + " threw " + t);
                            }
                        }
                        calls.incrementAndGet();
                    }
                });
            }
            assertTrue(running.await(HANG_SECONDS, TimeUnit.SECONDS));
        }

        /** Waits until the callers have made {@code atLeast} calls in all: some of them ran after the change. */
        void awaitCalls(long atLeast) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HANG_SECONDS);
            while (calls.get() < atLeast) {
                assertTrue(System.nanoTime() < deadline, "the callers stopped calling");
                Thread.sleep(1);
            }
        }

        /** Stops the callers and waits for them; the wrong calls. */
        List<String> stop() throws InterruptedException {
            close();
            assertTrue(pool.awaitTermination(HANG_SECONDS, TimeUnit.SECONDS), "a caller hung");
            return List.copyOf(wrong);
        }

        /** Stops the callers (a test that failed meanwhile leaves no thread calling). */
        @Override
        public void close() {
            stop.set(true);
            pool.shutdown();
        }
    }

    /**
     * A patch JAR named {@code name} of one class, {@code className}, replacing {@code Counter.next}
     * to return -2, whose static initializer throws "the top patch cannot start".
     */
    private Path throwingTop(String className, String name) throws Exception {
        return Jars.write(dir.resolve(name + ".jar"), Jars.manifest(name, className),
                Map.of(className.replace('.', '/') + ".class", Jars.patchClass(className,
                        PatchInitializationTest::returnsMinusTwo, PatchInitializationTest::throwsCannotStart)));
    }

    /**
     * A patch class whose initializer blocks holds only the thread that called it, as the JVM would:
     * status, disable and force still answer, and the call completes once the initializer does.
     */
    @Test
    void aBlockingInitializerHoldsItsCallerOnlyAndJlivepatchStaysManageable() throws Exception {
        String fix = "io.jlivepatch.jar.fixtures.SlowInitFix";
        Path jar = Jars.write(dir.resolve("slow.jar"), Jars.manifest("slow-init", fix), Jars.classes(fix));
        PatchHandle h = loadWithin(jar);
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        CompletableFuture<String> caller = CompletableFuture.supplyAsync(() -> Counter.label(7));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HANG_SECONDS);
        while (InitGate.SLOW_RUNS.get() == 0) {
            assertTrue(System.nanoTime() < deadline, "the first call never reached the initializer");
            Thread.sleep(1);
        }
        // jlivepatch does not wait for the initializer: every operation answers.
        assertTrue(h.functions().toString().contains("jarapp.Counter"));
        h.disable();
        assertTrue(h.inTransition(), "the blocked caller is inside the patched method");
        h.forceTransition();
        InitGate.SLOW.countDown();
        // The patch came off while the caller waited: the call completes, with the method's own code.
        assertEquals("#7", caller.get(HANG_SECONDS, TimeUnit.SECONDS));
        h.unregister();
        assertEquals("#8", Counter.label(8));
    }

    /**
     * The audit record {@code wanted} matches, once it is written, or null: the relink that follows
     * a failed initialization writes it, on its own thread, after status already says FAILED (CI
     * once read the log in between).
     */
    private static String awaitAudit(java.util.function.Predicate<String> wanted) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HANG_SECONDS);
        do {
            for (String l : Jars.auditLog()) {
                if (wanted.test(l)) {
                    return l;
                }
            }
            Thread.sleep(5);
        } while (System.nanoTime() < deadline);
        return null;
    }

    private static String awaitStatus(PatchHandle h, String expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HANG_SECONDS);
        String status = h.functions().toString();
        while (!status.contains(expected) && System.nanoTime() < deadline) {
            Thread.sleep(5); // the failure is recorded by the relink that follows the first call
            status = h.functions().toString();
        }
        return status;
    }

    @Test
    void aHiddenNestmateIsNotInitializedBeforeItsFirstCall() throws Exception {
        String carrier = "jarapp.InitCarrier";
        byte[] bytes = Jars.patchClass(carrier, Jars::returnsMinusOne, PatchInitializationTest::countCarrierRuns);
        Map<String, String> manifest = Jars.manifest("carrier-init", carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=jarapp.Counter");
        Path jar = Jars.write(dir.resolve("carrier.jar"), manifest, Map.of("jarapp/InitCarrier.class", bytes));
        PatchHandle h = loadWithin(jar);
        assertTrue(h.patch().replacements().get(0).replacement().getDeclaringClass().isHidden());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        assertEquals(0, InitGate.CARRIER_RUNS.get(), "load or enable initialized the hidden nestmate");
        assertEquals(-1, new Counter().next());
        assertEquals(1, InitGate.CARRIER_RUNS.get(), "the first call initializes the hidden nestmate");
    }

    /** {@code static { InitGate.CARRIER_RUNS.incrementAndGet(); }} */
    private static void countCarrierRuns(MethodVisitor mv) {
        mv.visitFieldInsn(Opcodes.GETSTATIC, "io/jlivepatch/jar/fixtures/InitGate", "CARRIER_RUNS",
                "Ljava/util/concurrent/atomic/AtomicInteger;");
        mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/util/concurrent/atomic/AtomicInteger", "incrementAndGet",
                "()I", false);
        mv.visitInsn(Opcodes.POP);
        mv.visitInsn(Opcodes.RETURN);
    }

    private static PatchHandle loadWithin(Path jar) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return Jars.lp().load(jar);
            } catch (PatchException e) {
                throw new AssertionError(e.getMessage(), e);
            }
        }).get(HANG_SECONDS, TimeUnit.SECONDS);
    }
}
