package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.jar.fixtures.InitGate;
import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
     * A patch whose class fails to initialize, on top of an enabled patch of the same method: after
     * the call that ran the initializer (which runs the method's own code, as the JVM leaves it no
     * other way), the method runs the version below it: the lower patch stays on, and only the
     * failing patch shows FAILED, in status and in the audit log.
     */
    @Test
    void aReplacementWhoseClassFailsToInitializeOnTopOfAnotherRunsTheVersionBelowIt() throws Exception {
        PatchHandle below = loadWithin(Jars.write(dir.resolve("below.jar"), Jars.manifest("init-below", Jars.FIX),
                Jars.classes(Jars.FIX)));
        below.enable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        assertEquals(-1, new Counter().next());
        String top = "jarapp.ThrowingTop";
        PatchHandle h = loadWithin(Jars.write(dir.resolve("throwing-top.jar"), Jars.manifest("throwing-init-top", top),
                Map.of("jarapp/ThrowingTop.class", Jars.patchClass(top, Jars::returnsMinusOne, mv -> {
                    mv.visitTypeInsn(Opcodes.NEW, "java/lang/IllegalStateException");
                    mv.visitInsn(Opcodes.DUP);
                    mv.visitLdcInsn("the top patch cannot start");
                    mv.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/IllegalStateException", "<init>",
                            "(Ljava/lang/String;)V", false);
                    mv.visitInsn(Opcodes.ATHROW);
                }))));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));

        assertEquals(1, new Counter().next(), "the call that runs the failing initializer runs the original");
        String failed = awaitStatus(h, "FAILED");
        assertTrue(failed.contains("the top patch cannot start"), failed);
        assertEquals(-1, new Counter().next(), "then the version below runs, not the original");
        assertEquals(-1, new Counter().next());
        String kept = below.functions().toString();
        assertTrue(!kept.contains("FAILED") && kept.contains("PATCHED"), "the patch below is not blamed: " + kept);
        assertTrue(java.util.Arrays.stream(Jars.auditLog()).anyMatch(l -> l.contains("link throwing-init-top")
                && l.contains("runs the version of patch 'init-below' below it")), String.join("\n", Jars.auditLog()));

        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        assertEquals(-1, new Counter().next());
        h.unregister();
        below.disable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(HANG_SECONDS)));
        assertEquals(1, new Counter().next());
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
