package io.jlivepatch;

import faultapp.RollbackShort;
import io.jlivepatch.internal.patch.ReplacementSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.lang.instrument.ClassFileTransformer;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Field;
import java.security.ProtectionDomain;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two faults in one change: an enable's relink fails at a site that runs the patch below (as in
 * RelinkFailureTest), and the undo's retransformation then finds no metaspace. The enable is refused
 * with nothing changed in what runs: whatever the classes' bytes, every method runs what status says
 * on every thread, and the life cycle goes on, its next change of the class leaving no hook behind.
 */
class RollbackShortageTest {

    public static int two(RollbackShort self) {
        return 2;
    }

    public static int three(RollbackShort self) {
        return 3;
    }

    public static int eleven(RollbackShort self) {
        return 11;
    }

    public static int twelve(RollbackShort self) {
        return 12;
    }

    public static int twentyOne(RollbackShort self) {
        return 21;
    }

    private final AtomicInteger failing = new AtomicInteger();
    /** Retransformations of RollbackShort to pass before the JVM refuses one; negative: none refused. */
    private final AtomicInteger passBeforeRefusal = new AtomicInteger(-1);

    private final ClassFileTransformer addsAMethod = new ClassFileTransformer() {
        @Override
        public byte[] transform(ClassLoader loader, String name, Class<?> redefined, ProtectionDomain pd, byte[] b) {
            if (redefined == null || !"faultapp/RollbackShort".equals(name)
                    || passBeforeRefusal.getAndUpdate(n -> n < 0 ? n : n - 1) != 0) {
                return null;
            }
            ClassReader r = new ClassReader(b);
            ClassWriter w = new ClassWriter(r, 0);
            r.accept(new ClassVisitor(Opcodes.ASM9, w) {
                @Override
                public void visitEnd() {
                    MethodVisitor mv = super.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "added$", "()V", null,
                            null);
                    mv.visitCode();
                    mv.visitInsn(Opcodes.RETURN);
                    mv.visitMaxs(0, 0);
                    mv.visitEnd();
                    super.visitEnd();
                }
            }, 0);
            return w.toByteArray();
        }
    };

    @AfterEach
    void cleanUp() throws Exception {
        failing.set(0);
        passBeforeRefusal.set(-1);
        refusalAs(null);
        TestSupport.instrumentation().removeTransformer(addsAMethod);
        TestSupport.removeAllPatches();
    }

    private static void refusalAs(Error e) throws ReflectiveOperationException {
        Field f = Class.forName("io.jlivepatch.internal.patch.HookManager").getDeclaredField("retransformRefusalForTests");
        f.setAccessible(true);
        f.set(null, e);
    }

    private static int linkedMethods(Class<?> c) throws ReflectiveOperationException {
        return (int) Class.forName("io.jlivepatch.internal.bootstrap.Dispatch", false, null)
                .getMethod("linkedMethods", Class.class).invoke(null, c);
    }

    private static boolean linking() {
        return StackWalker.getInstance().walk(s -> s.anyMatch(f -> f.getClassName().endsWith(".ReplacementLinker")));
    }

    private static int onANewThread(java.util.function.IntSupplier call) throws InterruptedException {
        int[] got = new int[1];
        Thread t = new Thread(() -> got[0] = call.getAsInt());
        t.start();
        t.join(30_000);
        assertFalse(t.isAlive());
        return got[0];
    }

    @Test
    void anEnableWhoseRelinkFailsAndWhoseUndoFindsNoMetaspaceChangesNothing() throws Exception {
        MethodHandle two = MethodHandles.lookup().unreflect(method(RollbackShortageTest.class, "two", RollbackShort.class));
        ReplacementSource source = loader -> {
            if (linking() && failing.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new InternalError("injected: a failure of the JDK's method handles");
            }
            return two;
        };
        PatchHandle below = RegistryAccess.get().register(Patch.builder("rollback-short-below").replace(
                method(RollbackShort.class, "value"), method(RollbackShortageTest.class, "two", RollbackShort.class))
                .build(), List.of(source));
        below.enable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(30)));
        RollbackShort target = new RollbackShort();
        assertEquals(2, target.value(), "the site is linked, to the lower patch");
        PatchHandle above = TestSupport.livepatch().register(Patch.builder("rollback-short-above")
                .replace(method(RollbackShort.class, "value"), method(RollbackShortageTest.class, "three",
                        RollbackShort.class))
                .replace(method(RollbackShort.class, "other"), method(RollbackShortageTest.class, "eleven",
                        RollbackShort.class)).build());

        TestSupport.instrumentation().addTransformer(addsAMethod, true);
        passBeforeRefusal.set(1); // the enable's retransformation passes, its undo's is refused
        refusalAs(new OutOfMemoryError("injected: Metaspace"));
        failing.set(1_000);
        PatchException e = assertThrows(PatchException.class, above::enable);
        failing.set(0);

        assertTrue(passBeforeRefusal.get() < 0, "the undo's retransformation was refused: " + passBeforeRefusal.get());
        assertEquals(PatchException.Reason.TRANSFORM_FAILED, e.reason(), e.getMessage());
        assertTrue(above.isRegistered() && !above.isEnabled() && !above.inTransition());
        assertEquals(2, target.value());
        assertEquals(10, target.other());
        assertEquals(2, onANewThread(target::value));
        assertEquals(10, onANewThread(target::other));
        // other()'s hook stays in the class (the JVM took the enable's bytes and refused the undo's) and its
        // site links at the call above, to the original: one check more a call until the next change of the
        // class retransforms it (below). Not asserted: what this test holds to is what runs.
        above.functions().forEach(f -> assertEquals(FunctionStatus.State.NOT_PATCHED, f.state(), f.toString()));

        above.enable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(3, target.value());
        assertEquals(11, target.other());
        above.disable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(2, target.value());
        assertEquals(10, target.other());
        assertEquals(1, linkedMethods(RollbackShort.class));
        above.unregister();
        below.disable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(1, target.value());
        assertEquals(0, linkedMethods(RollbackShort.class));
        below.unregister();
    }

    /**
     * As above: the JVM took the enable's bytes and refused the undo's, so the class keeps the enable's
     * hooks, other()'s too. The ledger says so (what a later change retransforms, and status, read it).
     * Before, it kept the records of the undo's refused bytes: no hook of other().
     */
    @Test
    void anUndoWhoseRetransformationIsRefusedLeavesTheLedgerSayingWhatTheClassHolds() throws Exception {
        MethodHandle two = MethodHandles.lookup().unreflect(method(RollbackShortageTest.class, "two", RollbackShort.class));
        ReplacementSource source = loader -> {
            if (linking() && failing.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new InternalError("injected: a failure of the JDK's method handles");
            }
            return two;
        };
        PatchHandle below = RegistryAccess.get().register(Patch.builder("rollback-ledger-below").replace(
                method(RollbackShort.class, "value"), method(RollbackShortageTest.class, "two", RollbackShort.class))
                .build(), List.of(source));
        below.enable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(30)));
        RollbackShort target = new RollbackShort();
        assertEquals(2, target.value(), "the site is linked, to the lower patch");
        assertEquals(Set.of("value()I"), RetransformShortageTest.ledgerHooks(RollbackShort.class));
        PatchHandle above = TestSupport.livepatch().register(Patch.builder("rollback-ledger-above")
                .replace(method(RollbackShort.class, "value"), method(RollbackShortageTest.class, "three",
                        RollbackShort.class))
                .replace(method(RollbackShort.class, "other"), method(RollbackShortageTest.class, "eleven",
                        RollbackShort.class)).build());

        TestSupport.instrumentation().addTransformer(addsAMethod, true);
        passBeforeRefusal.set(1); // the enable's retransformation passes, its undo's is refused
        refusalAs(new OutOfMemoryError("injected: Metaspace"));
        failing.set(1_000);
        PatchException e = assertThrows(PatchException.class, above::enable);
        failing.set(0);

        assertTrue(passBeforeRefusal.get() < 0, "the undo's retransformation was refused: " + passBeforeRefusal.get());
        assertEquals(PatchException.Reason.TRANSFORM_FAILED, e.reason(), e.getMessage());
        assertEquals(Set.of("value()I", "other()I"), RetransformShortageTest.ledgerHooks(RollbackShort.class),
                "the class keeps the enable's hooks");
        assertEquals(10, target.other());
        assertEquals(2, linkedMethods(RollbackShort.class), "other()'s hook, in the class, links at its call");
        assertEquals(2, target.value());
        assertTrue(above.isRegistered() && !above.isEnabled() && !above.inTransition());

        above.enable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(3, target.value());
        assertEquals(11, target.other());
        above.disable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(2, target.value());
        assertEquals(10, target.other());
        assertEquals(Set.of("value()I"), RetransformShortageTest.ledgerHooks(RollbackShort.class));
        above.unregister();
        below.disable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(1, target.value());
        assertEquals(0, linkedMethods(RollbackShort.class));
        assertEquals(Set.of(), RetransformShortageTest.ledgerHooks(RollbackShort.class));
        below.unregister();
    }

    /**
     * As above, with a second linked site whose relink succeeds: the enable's relink moved it to the patch
     * above before the other site's failed. The undo's retransformation then finds no metaspace, and the
     * undo must still relink every site back: before, the shortage left the undo at once, and that site
     * kept running the refused patch's version (11) while status said it was not patched.
     */
    @Test
    void anUndoThatFindsNoMetaspaceStillRelinksTheSitesTheRefusedEnableMoved() throws Exception {
        MethodHandle two = MethodHandles.lookup().unreflect(method(RollbackShortageTest.class, "two", RollbackShort.class));
        MethodHandle twelve = MethodHandles.lookup().unreflect(method(RollbackShortageTest.class, "twelve",
                RollbackShort.class));
        ReplacementSource failingSource = loader -> {
            if (linking() && failing.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new InternalError("injected: a failure of the JDK's method handles");
            }
            return two;
        };
        PatchHandle below = RegistryAccess.get().register(Patch.builder("rollback-short-below2")
                .replace(method(RollbackShort.class, "value"), method(RollbackShortageTest.class, "two", RollbackShort.class))
                .replace(method(RollbackShort.class, "other"), method(RollbackShortageTest.class, "twelve",
                        RollbackShort.class))
                .build(), List.of(failingSource, loader -> twelve));
        below.enable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(30)));
        RollbackShort target = new RollbackShort();
        assertEquals(2, target.value(), "both sites linked, to the lower patch");
        assertEquals(12, target.other());
        PatchHandle above = TestSupport.livepatch().register(Patch.builder("rollback-short-above2")
                .replace(method(RollbackShort.class, "value"), method(RollbackShortageTest.class, "three",
                        RollbackShort.class))
                .replace(method(RollbackShort.class, "other"), method(RollbackShortageTest.class, "eleven",
                        RollbackShort.class))
                // a method the patch below does not hook: the enable retransforms the class to add its hook
                .replace(method(RollbackShort.class, "more"), method(RollbackShortageTest.class, "twentyOne",
                        RollbackShort.class)).build());

        TestSupport.instrumentation().addTransformer(addsAMethod, true);
        passBeforeRefusal.set(1); // the enable's retransformation passes, its undo's is refused
        refusalAs(new OutOfMemoryError("injected: Metaspace"));
        failing.set(1_000);
        assertThrows(PatchException.class, above::enable);
        failing.set(0);
        assertTrue(passBeforeRefusal.get() < 0, "the undo's retransformation was refused: " + passBeforeRefusal.get());

        assertTrue(above.isRegistered() && !above.isEnabled() && !above.inTransition());
        assertEquals(2, target.value());
        assertEquals(12, target.other(), "the site the enable moved is back on the patch below");
        assertEquals(20, target.more());
        assertEquals(2, onANewThread(target::value));
        assertEquals(12, onANewThread(target::other));

        above.enable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(3, target.value());
        assertEquals(11, target.other());
        assertEquals(21, target.more());
        above.disable();
        assertTrue(above.awaitTransition(Duration.ofSeconds(30)));
        above.unregister();
        below.disable();
        assertTrue(below.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(1, target.value());
        assertEquals(10, target.other());
        below.unregister();
    }
}
