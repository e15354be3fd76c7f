package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.nio.file.Path;
import java.util.Map;

/**
 * Patch classes of unusual but valid shapes, written with ASM: each is either applied or refused at
 * load naming what to change, never loaded to fail at every call of the patched method.
 */
class ClassShapesTest {

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    /**
     * A replacement declared native has no code a patch can bring: before, the JAR loaded, status said
     * PATCHED and every call of the patched method threw UnsatisfiedLinkError.
     */
    @Test
    void aNativeReplacementIsRefusedNamingIt() throws Exception {
        String fix = "jarapp.fix.NativeFix";
        Path jar = Jars.write(dir.resolve("native.jar"), Jars.manifest("native-fix", fix),
                Map.of("jarapp/fix/NativeFix.class", nativeReplacement(fix)));
        Jars.refused(jar, Reason.SIGNATURE_MISMATCH, "jarapp.fix.NativeFix.next(Ljarapp/Counter;)I",
                "is declared native", "give it a body in Java");
    }

    /**
     * A callback declared native: before, a native @PrePatch refused every enable, and a native
     * @PostPatch, @PreUnpatch or @PostUnpatch loaded and only logged its UnsatisfiedLinkError each time.
     */
    @Test
    void aNativeCallbackIsRefusedNamingIt() throws Exception {
        for (String kind : new String[] {"PrePatch", "PostPatch", "PreUnpatch", "PostUnpatch"}) {
            String fix = "jarapp.fix.Native" + kind;
            byte[] bytes = Jars.patchClass(fix, Jars::returnsMinusOne);
            ClassReader reader = new ClassReader(bytes);
            ClassWriter cw = new ClassWriter(reader, 0);
            reader.accept(new ClassVisitor(Opcodes.ASM9, cw) {
                @Override
                public void visitEnd() {
                    MethodVisitor mv = super.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC | Opcodes.ACC_NATIVE,
                            "callback", "(Ljava/lang/Class;)V", null, null);
                    AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/" + kind + ";", true);
                    av.visit("value", "jarapp.Counter");
                    av.visitEnd();
                    mv.visitEnd();
                    super.visitEnd();
                }
            }, 0);
            Path jar = Jars.write(dir.resolve(kind + ".jar"), Jars.manifest("native-" + kind, fix),
                    Map.of(fix.replace('.', '/') + ".class", cw.toByteArray()));
            Jars.refused(jar, Reason.INVALID_PATCH, fix + ".callback(Ljava/lang/Class;)V is annotated @" + kind
                    + " but is declared native", "give it a body in Java");
        }
    }

    /** {@code public static native int next(jarapp.Counter)}, annotated to replace jarapp.Counter.next. */
    private static byte[] nativeReplacement(String binaryName) {
        ClassWriter cw = new ClassWriter(0);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, binaryName.replace('.', '/'), null,
                "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC | Opcodes.ACC_NATIVE, "next",
                "(Ljarapp/Counter;)I", null, null);
        AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
        av.visit("target", "jarapp.Counter");
        av.visit("method", "next");
        av.visitEnd();
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }
}
