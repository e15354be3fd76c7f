package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import jarapp.Counter;
import jarapp.Scale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@code @Replaces} without a descriptor on a loaded target: its descriptor is the one method of
 * that name, so a name the class does not declare, or declares overloaded, is refused at load, with
 * nothing registered, nothing hooked and the refusal on record ({@link Jars#refused}).
 */
class ReplacesWithoutDescriptorTest {

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    @Test
    void aMethodNameTheLoadedTargetDoesNotDeclareIsTargetNotFound() throws Exception {
        assertEquals(1, new Counter().next(), "loaded, and its own code runs");
        String message = Jars.refused(jar("no-such-method", "jarapp.Counter", "previous", "(Ljarapp/Counter;)I"),
                PatchException.Reason.TARGET_NOT_FOUND, "@Replaces(target = \"jarapp.Counter\", method = \"previous\")",
                "jarapp.Counter declares no method named previous");
        assertTrue(message.startsWith("patch JAR "), message);
    }

    /**
     * The refusal above said what was wrong and nothing to do, where the same refusal at registration
     * (target class not loaded at the JAR's load) says "check the name, or name the class that
     * declares it" (helper-114's audit of the refusals).
     */
    @Test
    void aMethodNameTheLoadedTargetDoesNotDeclareSaysWhatToDo() throws Exception {
        assertEquals(1, new Counter().next(), "loaded");
        Jars.refused(jar("no-such-method-todo", "jarapp.Counter", "previous", "(Ljarapp/Counter;)I"),
                PatchException.Reason.TARGET_NOT_FOUND, "jarapp.Counter declares no method named previous",
                "check method = in @Replaces against the class the application runs, or name as target = the class"
                        + " that declares the method");
    }

    @Test
    void anOverloadedMethodIsAmbiguousAndTheMessageListsTheDescriptorsToChooseFrom() throws Exception {
        assertEquals(3, Scale.weigh(3), "loaded, and its own code runs");
        Jars.refused(jar("ambiguous", "jarapp.Scale", "weigh", "(I)I"), PatchException.Reason.INVALID_PATCH,
                "@Replaces(target = \"jarapp.Scale\", method = \"weigh\") is ambiguous: jarapp.Scale declares",
                "(I)I", "(Ljava/lang/String;)I", "add descriptor = one of them");
        assertEquals(3, Scale.weigh(3), "no hook left: the original code runs");
        assertEquals(4, Scale.weigh("4"));
    }

    /** A JAR of one patch class whose one replacement, {@code descriptor}, names no target descriptor. */
    private Path jar(String name, String target, String method, String descriptor) throws Exception {
        String patchClass = "jarapp.fix.NoDescriptor" + Math.abs(name.hashCode());
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, patchClass.replace('.', '/'), null,
                "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, method, descriptor, null, null);
        AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
        av.visit("target", target);
        av.visit("method", method);
        av.visitEnd();
        mv.visitCode();
        mv.visitInsn(Opcodes.ICONST_M1);
        mv.visitInsn(Opcodes.IRETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return Jars.write(dir.resolve(name + ".jar"), Jars.manifest(name, patchClass),
                Map.of(patchClass.replace('.', '/') + ".class", cw.toByteArray()));
    }
}
