package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A nestmate patch class whose code makes, through Dispatch.lambda as {@code jlivepatch build}
 * writes it, a lambda of a non-public interface: before JDK 23 that lambda is a MethodHandleProxies
 * instance, which takes public interfaces only, so the JAR is refused at load, not at every call.
 */
class NonPublicLambdaInterfaceTest {

    private static final String CARRIER = "jarapp/LabelNestmatX";

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    @Test
    void aLambdaOfANonPublicInterfaceIsRefusedBeforeJdk23SayingWhatToChange() throws Exception {
        Assumptions.assumeTrue(Runtime.version().feature() < 23, "from JDK 23 on such a lambda is made");
        assertEquals(1, new Counter().next(), "loaded, and its own code runs");
        Map<String, String> manifest = new LinkedHashMap<>(Jars.manifest("fix-labeller", CARRIER.replace('/', '.')));
        manifest.put("Livepatch-Nestmates", CARRIER.replace('/', '.') + "=jarapp.Counter");
        Path jar = Jars.write(dir.resolve("labeller.jar"), manifest, Map.of(CARRIER + ".class", carrier()));
        Jars.refused(jar, PatchException.Reason.INVALID_PATCH, "jarapp.LabelNestmatX makes a lambda of the non-public"
                + " interface jarapp.Labeller, which this JDK (" + Runtime.version().feature() + ") cannot do for a"
                + " patch (JDK 23 can): make the interface public, or use a named class instead of the lambda");
    }

    /**
     * {@code public static int next(Counter self)} replacing Counter.next: {@code Labeller l =
     * Counter::label; return l.label(7).length();}, the lambda made as jlivepatch build writes it.
     */
    private static byte[] carrier() {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, CARRIER, null,
                "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "next", "(Ljarapp/Counter;)I",
                null, null);
        AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
        av.visit("target", "jarapp.Counter");
        av.visit("method", "next");
        av.visitEnd();
        mv.visitCode();
        Handle lambda = new Handle(Opcodes.H_INVOKESTATIC, "io/jlivepatch/internal/bootstrap/Dispatch", "lambda",
                "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;"
                        + "Ljava/lang/invoke/MethodType;Ljava/lang/invoke/MethodHandle;Ljava/lang/invoke/MethodType;)"
                        + "Ljava/lang/invoke/CallSite;", false);
        mv.visitInvokeDynamicInsn("label", "()Ljarapp/Labeller;", lambda,
                Type.getType("(I)Ljava/lang/String;"),
                new Handle(Opcodes.H_INVOKESTATIC, "jarapp/Counter", "label", "(I)Ljava/lang/String;", false),
                Type.getType("(I)Ljava/lang/String;"));
        mv.visitIntInsn(Opcodes.BIPUSH, 7);
        mv.visitMethodInsn(Opcodes.INVOKEINTERFACE, "jarapp/Labeller", "label", "(I)Ljava/lang/String;", true);
        mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/String", "length", "()I", false);
        mv.visitInsn(Opcodes.IRETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }
}
