package io.jlivepatch.jar;

import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Class files for tests whose application classes must not be on the test class path (only a class
 * loader of the test's own can load them): a target with {@code int quote(int)} (or without it) and
 * a patch class replacing it with {@code n * 10}.
 */
public final class GeneratedClasses {

    private GeneratedClasses() {
    }

    /** {@code public class <name> { public int quote(int n) { return n + add; } }}, or without quote. */
    public static byte[] target(String name, boolean withQuote, int add) {
        return target(name, add, withQuote ? new String[] {"quote"} : new String[0]);
    }

    /** {@code public class <name>} with {@code public int <m>(int n) { return n + add; }} for each of {@code methods}. */
    public static byte[] target(String name, int add, String... methods) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, name.replace('.', '/'), null, "java/lang/Object",
                null);
        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        for (String method : methods) {
            MethodVisitor m = cw.visitMethod(Opcodes.ACC_PUBLIC, method, "(I)I", null, null);
            m.visitCode();
            m.visitVarInsn(Opcodes.ILOAD, 1);
            m.visitIntInsn(Opcodes.BIPUSH, add);
            m.visitInsn(Opcodes.IADD);
            m.visitInsn(Opcodes.IRETURN);
            m.visitMaxs(0, 0);
            m.visitEnd();
        }
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** An empty public class: what a loader defines to show it is there. */
    public static byte[] empty(String name) {
        return target(name, false, 0);
    }

    /** {@code @Replaces(target = <target>, method = "quote") public static int quote(<target> self, int n) { return n * 10; }} */
    public static byte[] fix(String fix, String target) {
        return fix(fix, target, "quote");
    }

    /** {@link #fix(String, String)} of method {@code method}. */
    public static byte[] fix(String fix, String target, String method) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_FINAL | Opcodes.ACC_SUPER, fix.replace('.', '/'), null,
                "java/lang/Object", null);
        MethodVisitor m = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, method,
                "(L" + target.replace('.', '/') + ";I)I", null, null);
        AnnotationVisitor a = m.visitAnnotation("Lio/jlivepatch/Replaces;", true);
        a.visit("target", target);
        a.visit("method", method);
        a.visitEnd();
        m.visitCode();
        m.visitVarInsn(Opcodes.ILOAD, 1);
        m.visitIntInsn(Opcodes.BIPUSH, 10);
        m.visitInsn(Opcodes.IMUL);
        m.visitInsn(Opcodes.IRETURN);
        m.visitMaxs(0, 0);
        m.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** {@code public class <name> { public static int run(int n) { return new <target>().<method>(n); } }}: a caller in another class loader. */
    public static byte[] caller(String name, String target, String method) {
        String t = target.replace('.', '/');
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, name.replace('.', '/'), null, "java/lang/Object",
                null);
        MethodVisitor m = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "run", "(I)I", null, null);
        m.visitCode();
        m.visitTypeInsn(Opcodes.NEW, t);
        m.visitInsn(Opcodes.DUP);
        m.visitMethodInsn(Opcodes.INVOKESPECIAL, t, "<init>", "()V", false);
        m.visitVarInsn(Opcodes.ILOAD, 0);
        m.visitMethodInsn(Opcodes.INVOKEVIRTUAL, t, method, "(I)I", false);
        m.visitInsn(Opcodes.IRETURN);
        m.visitMaxs(0, 0);
        m.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }
}
