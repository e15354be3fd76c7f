package io.jlivepatch;

import faultapp.RemovalRefused;
import io.jlivepatch.internal.core.AuditLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The end of a disable removes the patch's hooks by retransforming their class; when the JVM refuses
 * that retransformation (another agent's transformer adds a method on it), the hook stays and the
 * transition is retried. What runs must be what status says: the original (every thread has moved to
 * the disabled state), status in transition with the reason it has not ended, and once the JVM takes
 * the retransformation, the hook gone and the patch disabled.
 */
class HookRemovalRefusedTest {

    public static int two(RemovalRefused self) {
        return 2;
    }

    private final AtomicBoolean refuse = new AtomicBoolean();

    /** Another agent's transformer that adds a method to the class while armed: the JVM refuses that retransformation. */
    private final ClassFileTransformer addsAMethod = new ClassFileTransformer() {
        @Override
        public byte[] transform(ClassLoader loader, String name, Class<?> redefined, ProtectionDomain pd, byte[] b) {
            if (!refuse.get() || !"faultapp/RemovalRefused".equals(name)) {
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
    void cleanUp() throws PatchException {
        refuse.set(false);
        TestSupport.instrumentation().removeTransformer(addsAMethod);
        TestSupport.removeAllPatches();
    }

    @Test
    void aHookRemovalTheJvmRefusesKeepsTheTransitionRunningAndSaysWhy() throws Exception {
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("removal-refused").replace(
                method(RemovalRefused.class, "value"), method(HookRemovalRefusedTest.class, "two", RemovalRefused.class))
                .build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        RemovalRefused target = new RemovalRefused();
        assertEquals(2, target.value());

        TestSupport.instrumentation().addTransformer(addsAMethod, true);
        refuse.set(true);
        h.disable();
        // a hang detector, not a timing: the worker's first attempt to end the transition is refused at once
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (RegistryAccess.get().transitionEndFailure(h) == null && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        String status = Mbeans.statusText();
        int runs = target.value();
        boolean inTransition = h.inTransition();
        refuse.set(false);

        assertEquals(1, runs, "every thread has moved to the disabled state: the original runs through the hook");
        assertTrue(inTransition, "the hook is still there: the transition has not ended");
        assertTrue(status.contains("removal-refused [disabled, in transition]") && status.contains(
                "ending the transition failed, retrying: the JVM refused to retransform faultapp.RemovalRefused"), status);

        assertTrue(h.awaitTransition(Duration.ofSeconds(30)), "it ends once the JVM takes the retransformation");
        assertFalse(h.inTransition());
        assertNull(RegistryAccess.get().transitionEndFailure(h));
        assertEquals(java.util.List.of(), BytecodeProbe.hookedMethods(RemovalRefused.class));
        assertEquals(1, target.value());
        assertEquals(FunctionStatus.State.NOT_PATCHED, h.functions().get(0).state(), h.functions().toString());
        // On record: the failure once (the worker's retries fail the same way), then the end.
        java.util.List<String> ends = RegistryAccess.get().audit().entries().stream()
                .filter(e -> e.patch().equals("removal-refused") && e.operation().equals("transition"))
                .map(AuditLog.Entry::outcome).toList();
        assertEquals(3, ends.size(), ends.toString());
        assertEquals("ok (patching complete)", ends.get(0));
        assertTrue(ends.get(1).startsWith("ending the transition failed, retrying: the JVM refused to retransform"
                + " faultapp.RemovalRefused"), ends.toString());
        assertEquals("ok (unpatching complete)", ends.get(2));
    }
}
