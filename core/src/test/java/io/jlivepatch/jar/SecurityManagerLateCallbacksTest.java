package io.jlivepatch.jar;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * SecurityManagerTest's situation with a class defined after the SecurityManager is set (a redeployed
 * webapp): its callbacks run late, at its first call, on the application's thread
 * (ReplacementLinker.passCallbacks), and must run with jlivepatch's permissions as the link does.
 * Before, the prePatch failed for want of getClassLoader, the failure could not even be recorded, and
 * the replacement ran without its prePatch while status said PATCHED.
 */
class SecurityManagerLateCallbacksTest {

    private static final String TARGET = "smapp.Pricing";
    private static final String CALLER = "smapp.Caller";
    private static final String FIX = "smapp.fix.PricingFix";

    @TempDir
    Path dir;

    @Test
    void aClassDefinedUnderTheSecurityManagerGetsThePatchOfAJarWithAPrePatch() throws Exception {
        assumeTrue(Runtime.version().feature() < 24, "no SecurityManager from JDK 24 on");
        Path app = Files.createDirectories(dir.resolve("app/smapp"));
        Files.write(app.resolve("Pricing.class"), GeneratedClasses.target(TARGET, true, 0));
        Files.write(app.resolve("Caller.class"), GeneratedClasses.caller(CALLER, TARGET, "quote"));
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(FIX.replace('.', '/') + ".class", withPrePatch(GeneratedClasses.fix(FIX, TARGET), TARGET));
        Path jar = Jars.write(dir.resolve("fix-sm-cb.jar"), Jars.manifest("fix-sm-cb", FIX), entries);
        ChildJvm.runOk(SecurityManagerLateDriver.class, List.of("-Djava.security.manager=allow"),
                List.of(dir.resolve("app").toString(), jar.toString(), dir.resolve("all.policy").toString()), 60);
    }

    @Test
    void aClassTheApplicationDefinesUnderTheSecurityManagerGetsThePatch() throws Exception {
        assumeTrue(Runtime.version().feature() < 24, "no SecurityManager from JDK 24 on");
        Path app = Files.createDirectories(dir.resolve("app/smapp"));
        Files.write(app.resolve("Pricing.class"), GeneratedClasses.target(TARGET, true, 0));
        Files.write(app.resolve("Caller.class"), GeneratedClasses.caller(CALLER, TARGET, "quote"));
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(FIX.replace('.', '/') + ".class", GeneratedClasses.fix(FIX, TARGET));
        Path jar = Jars.write(dir.resolve("fix-sm-lazy.jar"), Jars.manifest("fix-sm-lazy", FIX), entries);
        ChildJvm.runOk(SecurityManagerLateDriver.class, List.of("-Djava.security.manager=allow", "-Dreview.lazy=true"),
                List.of(dir.resolve("app").toString(), jar.toString(), dir.resolve("all.policy").toString()), 60);
    }

    /** Adds {@code @PrePatch("<target>") public static void prepare(Class<?> c) { SecurityManagerLateDriver.prePatchRan(c); }}. */
    private static byte[] withPrePatch(byte[] fix, String target) {
        ClassWriter cw = new ClassWriter(0);
        new ClassReader(fix).accept(new ClassVisitor(Opcodes.ASM9, cw) {
            @Override
            public void visitEnd() {
                MethodVisitor m = cv.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "prepare",
                        "(Ljava/lang/Class;)V", null, null);
                AnnotationVisitor a = m.visitAnnotation("Lio/jlivepatch/PrePatch;", true);
                a.visit("value", target);
                a.visitEnd();
                m.visitCode();
                m.visitVarInsn(Opcodes.ALOAD, 0);
                m.visitMethodInsn(Opcodes.INVOKESTATIC, "io/jlivepatch/jar/SecurityManagerLateDriver", "prePatchRan",
                        "(Ljava/lang/Class;)V", false);
                m.visitInsn(Opcodes.RETURN);
                m.visitMaxs(1, 1);
                m.visitEnd();
                super.visitEnd();
            }
        }, 0);
        return cw.toByteArray();
    }
}
