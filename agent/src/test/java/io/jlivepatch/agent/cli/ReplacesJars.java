package io.jlivepatch.agent.cli;

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
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", name);
        m.getMainAttributes().putValue("Livepatch-Class", "com.acme.fix.Fix");
        org.objectweb.asm.ClassWriter cw = new org.objectweb.asm.ClassWriter(org.objectweb.asm.ClassWriter.COMPUTE_MAXS);
        cw.visit(org.objectweb.asm.Opcodes.V11, org.objectweb.asm.Opcodes.ACC_PUBLIC, "com/acme/fix/Fix", null,
                "java/lang/Object", null);
        org.objectweb.asm.Type returned = org.objectweb.asm.Type.getReturnType(descriptor);
        org.objectweb.asm.MethodVisitor mv = cw.visitMethod(org.objectweb.asm.Opcodes.ACC_PUBLIC
                | org.objectweb.asm.Opcodes.ACC_STATIC, method, descriptor, null, null);
        org.objectweb.asm.AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
        av.visit("target", target);
        av.visit("method", method);
        av.visit("descriptor", descriptor);
        av.visitEnd();
        mv.visitCode();
        mv.visitInsn(org.objectweb.asm.Opcodes.ACONST_NULL); // the descriptors given here return an object
        mv.visitInsn(returned.getOpcode(org.objectweb.asm.Opcodes.IRETURN));
        mv.visitMaxs(0, 0);
        mv.visitEnd();
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
