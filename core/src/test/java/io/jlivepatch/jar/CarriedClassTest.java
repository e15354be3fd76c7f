package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.format.ClassDigest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * The classes a patch carries into the application's class loader ({@code Livepatch-New-Classes})
 * stay there after it is gone: a later patch uses such a class only when it ships the very same
 * class file, never one that merely digests alike.
 */
class CarriedClassTest {

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    @Test
    void aClassCarriedBeforeIsNotTakenForAnotherClassFileThatDigestsAlike() throws Exception {
        String carried = "jarapp.CarriedAlike";
        byte[] first = carriedClass(carried, null);
        byte[] second = carriedClass(carried, "Other.java"); // differs in debug data only
        assertEquals(ClassDigest.of(first), ClassDigest.of(second), "the premise: the normalized digests are equal");
        assertNotEquals(ClassDigest.ofFile(first), ClassDigest.ofFile(second));

        PatchHandle h = Jars.lp().load(carrying("carry-alike-1", "jarapp.AlikeCarrier1", carried, first));
        h.unregister();
        Jars.refused(carrying("carry-alike-2", "jarapp.AlikeCarrier2", carried, second), Reason.INVALID_PATCH,
                "class '" + carried + "', which the patch carries as new", "was carried into the application's"
                        + " class loader by patch 'carry-alike-1' as another class file",
                "give the new class another name");
    }

    @Test
    void theVerySameClassFileCarriedAgainIsUsedAgain() throws Exception {
        String carried = "jarapp.CarriedSame";
        byte[] bytes = carriedClass(carried, null);
        Jars.lp().load(carrying("carry-same-1", "jarapp.SameCarrier1", carried, bytes)).unregister();
        PatchHandle again = Jars.lp().load(carrying("carry-same-2", "jarapp.SameCarrier2", carried, bytes));
        assertEquals("carry-same-2", again.name());
    }

    /** A patch JAR whose hidden nestmate of jarapp.Counter {@code carrier} carries {@code carried}. */
    Path carrying(String name, String carrier, String carried, byte[] carriedBytes) throws Exception {
        Map<String, String> manifest = Jars.manifest(name, carrier);
        manifest.put("Livepatch-Nestmates", carrier + "=jarapp.Counter");
        manifest.put("Livepatch-New-Classes", carried);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(carrier.replace('.', '/') + ".class", Jars.patchClass(carrier, Jars::returnsMinusOne));
        entries.put(carried.replace('.', '/') + ".class", carriedBytes);
        return Jars.write(dir.resolve(name + ".jar"), manifest, entries);
    }

    /** A class of one static method returning null, with a SourceFile attribute when {@code source} is given. */
    static byte[] carriedClass(String binaryName, String source) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, binaryName.replace('.', '/'), null,
                "java/lang/Object", null);
        if (source != null) {
            cw.visitSource(source, null);
        }
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "value", "()Ljava/lang/Object;",
                null, null);
        mv.visitCode();
        mv.visitInsn(Opcodes.ACONST_NULL);
        mv.visitInsn(Opcodes.ARETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }
}
