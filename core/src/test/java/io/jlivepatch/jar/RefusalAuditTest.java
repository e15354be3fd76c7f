package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.internal.Sha256;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.jar.JarLimits;
import io.jlivepatch.internal.jar.PatchJarBytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static io.jlivepatch.jar.Jars.FIX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A refused load is on record with the JAR it refused, file and content, whichever check refused
 * it: those made before the JAR is prepared, and those made under the registry's lock after it.
 */
class RefusalAuditTest {

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    /** The audit lines of {@code patch}'s loads. */
    private static List<String> loadsOf(String patch) throws Exception {
        return Arrays.stream(Jars.auditLog()).filter(l -> l.contains(" load " + patch + " by ")).toList();
    }

    private static void assertOnRecordWithItsJar(String patch, Reason reason, Path jar) throws Exception {
        List<String> lines = loadsOf(patch);
        assertEquals(1, lines.size(), "refused once, on record once: " + lines);
        String line = lines.get(0);
        String expected = "refused " + reason + ": ";
        assertEquals(true, line.contains(expected), line);
        assertEquals(true, line.endsWith(" [file " + jar + " sha256 " + Sha256.hex(Files.readAllBytes(jar)) + "]"),
                "the record names the JAR: " + line);
    }

    /**
     * The enable and disable (and force) of a JAR's patch are on record with its file and content too, as
     * its load, transition and unregister are: a trail read by SHA-256 (the audit file's JSON lines)
     * missed them, and a disable whose transition never ended (the JVM killed) named no content.
     */
    @Test
    void theEnableAndDisableOfAJarsPatchAreOnRecordWithItsJar() throws Exception {
        Path jar = Jars.write(dir.resolve("audited.jar"), Jars.manifest("audit-ops", FIX), Jars.classes(FIX));
        io.jlivepatch.PatchHandle h = Jars.lp().load(jar);
        h.enable();
        assertEquals(true, h.awaitTransition(java.time.Duration.ofSeconds(10)));
        h.disable();
        assertEquals(true, h.awaitTransition(java.time.Duration.ofSeconds(10)));
        String file = " [file " + jar + " sha256 " + Sha256.hex(Files.readAllBytes(jar)) + "]";
        for (String operation : List.of("enable", "disable")) {
            List<String> lines = Arrays.stream(Jars.auditLog())
                    .filter(l -> l.contains(" " + operation + " audit-ops by ")).toList();
            assertEquals(1, lines.size(), lines.toString());
            assertEquals(true, lines.get(0).endsWith(file), "the record names the JAR: " + lines.get(0));
        }
    }

    @Test
    void aLoadRefusedUnderTheLockAfterPreparingIsOnRecordWithItsJar() throws Exception {
        Jars.lp().load(Jars.write(dir.resolve("below.jar"), Jars.manifest("audit-below", FIX), Jars.classes(FIX)));
        Path jar = Jars.write(dir.resolve("above.jar"), Jars.manifest("audit-above", FIX), Jars.classes(FIX));

        PatchException e = assertThrows(PatchException.class, () -> PatchRegistry.installed().loadAndEnable(jar));
        assertEquals(Reason.ORDER_VIOLATION, e.reason(), e.getMessage());
        assertOnRecordWithItsJar("audit-above", Reason.ORDER_VIOLATION, jar);
    }

    /** {@code @Replaces} {@code jarapp.NeverLoaded.next()I}, a class no loader has, receiver typed {@code Object}. */
    private static byte[] nowhereFix() {
        org.objectweb.asm.ClassWriter cw = new org.objectweb.asm.ClassWriter(org.objectweb.asm.ClassWriter.COMPUTE_MAXS);
        cw.visit(org.objectweb.asm.Opcodes.V1_8, org.objectweb.asm.Opcodes.ACC_PUBLIC | org.objectweb.asm.Opcodes.ACC_SUPER,
                "jarapp/NowhereFix", null, "java/lang/Object", null);
        org.objectweb.asm.MethodVisitor mv = cw.visitMethod(org.objectweb.asm.Opcodes.ACC_PUBLIC
                | org.objectweb.asm.Opcodes.ACC_STATIC, "next", "(Ljava/lang/Object;)I", null, null);
        org.objectweb.asm.AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
        av.visit("target", "jarapp.NeverLoaded");
        av.visit("method", "next");
        av.visit("descriptor", "()I");
        av.visitEnd();
        mv.visitCode();
        Jars.returnsMinusOne(mv);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    @Test
    void aLoadRefusedForATargetLoadedNowhereIsOnRecordWithItsJar() throws Exception {
        Map<String, String> manifest = Jars.manifest("audit-nowhere", "jarapp.NowhereFix");
        Path jar = Jars.write(dir.resolve("nowhere.jar"), manifest, Map.of("jarapp/NowhereFix.class", nowhereFix()));

        Jars.lp(); // installs jlivepatch
        PatchException e = assertThrows(PatchException.class,
                () -> PatchRegistry.installed().load(PatchJarBytes.read(jar, JarLimits.current()), true, true));
        assertEquals(Reason.TARGET_NOT_FOUND, e.reason(), e.getMessage());
        assertOnRecordWithItsJar("audit-nowhere", Reason.TARGET_NOT_FOUND, jar);
    }

    @Test
    void aNestmateJarRefusedBeforePreparingIsOnRecordWithItsJar() throws Exception {
        Jars.lp().load(Jars.write(dir.resolve("below.jar"), Jars.manifest("audit-below-n", FIX), Jars.classes(FIX)));
        Map<String, String> manifest = Jars.manifest("audit-nestmate", "jarapp.AuditCarrier");
        manifest.put("Livepatch-Nestmates", "jarapp.AuditCarrier=jarapp.Counter");
        Path jar = Jars.write(dir.resolve("nestmate.jar"), manifest, Map.of("jarapp/AuditCarrier.class",
                Jars.patchClass("jarapp.AuditCarrier", Jars::returnsMinusOne)));

        PatchException e = assertThrows(PatchException.class, () -> PatchRegistry.installed().loadAndEnable(jar));
        assertEquals(Reason.ORDER_VIOLATION, e.reason(), e.getMessage());
        assertOnRecordWithItsJar("audit-nestmate", Reason.ORDER_VIOLATION, jar);
    }
}
