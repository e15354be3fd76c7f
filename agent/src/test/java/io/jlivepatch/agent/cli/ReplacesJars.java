package io.jlivepatch.agent.cli;

import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Patch JARs of one {@code @Replaces} whose names a test chooses, written with ASM: for the checks of
 * names, the command's and the target's ({@code OfflineRefusalsTest}, {@code UnpatchableNamesIT}).
 */
public final class ReplacesJars {

    private ReplacesJars() {
    }

    /**
     * A patch JAR {@code <name>.jar} in {@code dir} of one class, {@code com.acme.fix.Fix}, whose {@code public
     * static} method is {@code @Replaces(target, method, descriptor)} (no receiver: only the names matter here).
     */
    public static Path write(Path dir, String name, String target, String method, String descriptor)
            throws IOException {
        return write(dir, name, new String[] {target, method, descriptor});
    }

    /**
     * The same with one replacement per function ({target, method, descriptor}, methods of distinct names),
     * each returning its type's zero: a class that loads, so that a target's checks after it are reached.
     */
    public static Path write(Path dir, String name, String[]... functions) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", name);
        m.getMainAttributes().putValue("Livepatch-Class", "com.acme.fix.Fix");
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC, "com/acme/fix/Fix", null, "java/lang/Object", null);
        for (String[] f : functions) {
            MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, f[1], f[2], null, null);
            AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
            av.visit("target", f[0]);
            av.visit("method", f[1]);
            av.visit("descriptor", f[2]);
            av.visitEnd();
            mv.visitCode();
            Type returned = Type.getReturnType(f[2]);
            switch (returned.getSort()) {
                case Type.VOID -> { }
                case Type.LONG -> mv.visitInsn(Opcodes.LCONST_0);
                case Type.FLOAT -> mv.visitInsn(Opcodes.FCONST_0);
                case Type.DOUBLE -> mv.visitInsn(Opcodes.DCONST_0);
                case Type.OBJECT, Type.ARRAY -> mv.visitInsn(Opcodes.ACONST_NULL);
                default -> mv.visitInsn(Opcodes.ICONST_0);
            }
            mv.visitInsn(returned.getOpcode(Opcodes.IRETURN));
            mv.visitMaxs(0, 0);
            mv.visitEnd();
        }
        cw.visitEnd();
        Path jar = dir.resolve(name + ".jar");
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o, m)) {
            j.putNextEntry(new JarEntry("com/acme/fix/Fix.class"));
            j.write(cw.toByteArray());
            j.closeEntry();
        }
        return jar;
    }
}
