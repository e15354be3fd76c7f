package io.jlivepatch;

import faultapp.VerifiedOne;
import faultapp.VerifiedTwo;
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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

import static io.jlivepatch.TestSupport.JLIVEPATCH_LOG;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An enable retransforms the classes of its patch in one batch; another agent's transformer makes one
 * class of the two fail the JVM's verification. The JVM takes the batch whole or not at all: the
 * enable is refused with nothing changed, in neither class a hook or a linked site, and the patch
 * enables once that agent leaves the class alone.
 */
class RetransformVerifyErrorTest {

    public static int two(VerifiedOne self) {
        return 2;
    }

    public static int three(Object self) {
        return 3;
    }

    private final AtomicBoolean unverifiable = new AtomicBoolean();

    /** Another agent's transformer that, while armed, makes VerifiedTwo.value() return null from an int method. */
    private final ClassFileTransformer breaksVerification = new ClassFileTransformer() {
        @Override
        public byte[] transform(ClassLoader loader, String name, Class<?> redefined, ProtectionDomain pd, byte[] b) {
            if (redefined == null || !"faultapp/VerifiedTwo".equals(name) || !unverifiable.get()) {
                return null;
            }
            ClassReader r = new ClassReader(b);
            ClassWriter w = new ClassWriter(r, ClassWriter.COMPUTE_MAXS);
            r.accept(new ClassVisitor(Opcodes.ASM9, w) {
                @Override
                public MethodVisitor visitMethod(int access, String mname, String desc, String sig, String[] ex) {
                    if (!mname.equals("value")) {
                        return super.visitMethod(access, mname, desc, sig, ex);
                    }
                    MethodVisitor mv = super.visitMethod(access, mname, desc, sig, ex);
                    mv.visitCode();
                    mv.visitInsn(Opcodes.ACONST_NULL);
                    mv.visitInsn(Opcodes.IRETURN);
                    mv.visitMaxs(0, 0);
                    mv.visitEnd();
                    return null; // the original body goes
                }
            }, 0);
            return w.toByteArray();
        }
    };

    @AfterEach
    void cleanUp() throws PatchException {
        unverifiable.set(false);
        TestSupport.instrumentation().removeTransformer(breaksVerification);
        TestSupport.removeAllPatches();
    }

    private static int linkedMethods(Class<?> c) throws ReflectiveOperationException {
        return (int) Class.forName("io.jlivepatch.internal.bootstrap.Dispatch", false, null)
                .getMethod("linkedMethods", Class.class).invoke(null, c);
    }

    /**
     * A load (register and enable in one step) whose retransformation the JVM refuses: it logged its
     * registration where its enable began, so the line after the enable's says the registration was
     * undone, before the refusal; nothing of it stays registered.
     */
    @Test
    void aLoadWhoseRetransformationTheJvmRefusesSaysItsRegistrationWasUndone() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            private final SimpleFormatter formatter = new SimpleFormatter();

            @Override
            public void publish(LogRecord record) {
                lines.add(record.getLevel() + " " + formatter.formatMessage(record));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        JLIVEPATCH_LOG.setLevel(Level.INFO);
        JLIVEPATCH_LOG.addHandler(handler);
        try {
            TestSupport.instrumentation().addTransformer(breaksVerification, true);
            unverifiable.set(true);
            PatchException e = assertThrows(PatchException.class, () -> RegistryAccess.get().registerAndEnable(
                    Patch.builder("verify-error-load")
                            .replace(method(VerifiedOne.class, "value"), method(RetransformVerifyErrorTest.class, "two",
                                    VerifiedOne.class))
                            .replace(method(VerifiedTwo.class, "value"), method(RetransformVerifyErrorTest.class,
                                    "three", Object.class)).build()));
            assertEquals(PatchException.Reason.TRANSFORM_FAILED, e.reason(), e.getMessage());
            assertTrue(TestSupport.livepatch().find("verify-error-load").isEmpty(), "nothing registered");
            List<String> mine = lines.stream().filter(l -> l.contains("'verify-error-load'")).toList();
            assertEquals(4, mine.size(), mine.toString());
            assertEquals("INFO 'verify-error-load': registered, 2 function(s), stack order 1", mine.get(0));
            assertEquals("INFO enabling patch 'verify-error-load'", mine.get(1));
            assertEquals("INFO 'verify-error-load': enable failed, registration undone", mine.get(2));
            assertTrue(mine.get(3).startsWith("WARNING load refused (TRANSFORM_FAILED)"), mine.get(3));
        } finally {
            JLIVEPATCH_LOG.removeHandler(handler);
            JLIVEPATCH_LOG.setLevel(Level.WARNING);
        }
    }

    @Test
    void anEnableWhoseRetransformationFailsVerificationForOneClassOfTwoChangesNeither() throws Exception {
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("verify-error")
                .replace(method(VerifiedOne.class, "value"), method(RetransformVerifyErrorTest.class, "two",
                        VerifiedOne.class))
                .replace(method(VerifiedTwo.class, "value"), method(RetransformVerifyErrorTest.class, "three",
                        Object.class)).build());
        // A copy of VerifiedTwo in a loader of its own: the batch holds the name twice, the refusal once.
        Class<?> copy = IsolatingLoader.of("verify-error-copy", VerifiedTwo.class.getName())
                .define(VerifiedTwo.class.getName());
        Object copyInstance = copy.getConstructor().newInstance();
        VerifiedOne one = new VerifiedOne();
        VerifiedTwo other = new VerifiedTwo();
        TestSupport.instrumentation().addTransformer(breaksVerification, true);
        unverifiable.set(true);

        PatchException e = assertThrows(PatchException.class, h::enable);

        assertEquals(PatchException.Reason.TRANSFORM_FAILED, e.reason(), e.getMessage());
        // The JVM's VerifyError may have no message: the refusal names the classes, and what to do.
        assertTrue(e.getMessage().startsWith("patch 'verify-error': the JVM refused the instrumented classes "),
                e.getMessage());
        String named = e.getMessage().substring("patch 'verify-error': the JVM refused the instrumented classes ".length(),
                e.getMessage().indexOf(": java.lang.VerifyError"));
        assertEquals(java.util.Set.of("faultapp.VerifiedOne", "faultapp.VerifiedTwo"),
                new java.util.HashSet<>(List.of(named.split(", "))), named);
        assertEquals(2, named.split(", ").length, "each name once: " + named);
        assertTrue(e.getMessage().contains("'Other agents'") && e.getMessage().endsWith("nothing was changed"),
                e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(h.isRegistered() && !h.isEnabled() && !h.inTransition());
        assertEquals(1, one.value());
        assertEquals(1, other.value());
        assertEquals(1, copy.getMethod("value").invoke(copyInstance));
        assertEquals(0, linkedMethods(VerifiedOne.class));
        assertEquals(0, linkedMethods(VerifiedTwo.class));
        assertEquals(0, linkedMethods(copy));
        h.functions().forEach(f -> assertEquals(FunctionStatus.State.NOT_PATCHED, f.state(), f.toString()));
        List<io.jlivepatch.internal.core.AuditLog.Entry> audit = RegistryAccess.get().audit().entries().stream()
                .filter(a -> a.patch().equals("verify-error")).toList();
        assertTrue(audit.get(audit.size() - 1).outcome().startsWith("refused TRANSFORM_FAILED"), audit.toString());

        unverifiable.set(false);
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(2, one.value());
        assertEquals(3, other.value());
        assertEquals(3, copy.getMethod("value").invoke(copyInstance));
        assertTrue(Mbeans.statusText().contains("verify-error [enabled]"), Mbeans.statusText());
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(1, one.value());
        assertEquals(1, other.value());
        assertEquals(0, linkedMethods(VerifiedOne.class));
        assertEquals(0, linkedMethods(VerifiedTwo.class));
        h.unregister();
        assertFalse(TestSupport.livepatch().find("verify-error").isPresent());
    }
}
