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

import static org.junit.jupiter.api.Assertions.assertFalse;

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

    /**
     * A class compiled for a newer Java than the JVM's: the advice is the compiler's target, which
     * decides the class file version. Before, it was "build the patch again against the running
     * application", which gives the same class file.
     */
    @Test
    void aClassForANewerJavaIsRefusedWithTheReleaseAdvice() throws Exception {
        int feature = Runtime.version().feature();
        String fix = "jarapp.fix.NewerFix";
        Path jar = Jars.write(dir.resolve("newer.jar"), Jars.manifest("newer-java", fix),
                Map.of("jarapp/fix/NewerFix.class", versioned(fix, feature + 1 + 44)));
        String message = Jars.refused(jar, Reason.INVALID_PATCH, "class " + fix + " cannot be used",
                "compiled for a newer Java than this JVM", "class file version " + (feature + 45) + ".0",
                "javac --release " + feature);
        assertFalse(message.contains("build the patch again against the running application"), message);
        // Java 46's: newer than the class files jlivepatch's own reader (ASM) knows, refused before the JVM sees it
        Path far = Jars.write(dir.resolve("far.jar"), Jars.manifest("far-java", fix),
                Map.of("jarapp/fix/NewerFix.class", versioned(fix, 90)));
        String farMessage = Jars.refused(far, Reason.INVALID_PATCH, "jarapp/fix/NewerFix.class",
                "compiled for a newer Java (class file version 90, Java 46) than jlivepatch can read", "javac --release");
        assertFalse(farMessage.contains("build the patch again;"), farMessage);
    }

    /**
     * A class compiled with preview features (minor version 65535), here of Java 17's: the JVM runs
     * none without --enable-preview, nor another release's with it. Before, the refusal said it was
     * compiled for a newer Java, on JDK 25 too, where 61 is older.
     */
    @Test
    void aClassWithPreviewFeaturesIsRefusedSayingSo() throws Exception {
        String fix = "jarapp.fix.PreviewFix";
        Path jar = Jars.write(dir.resolve("preview.jar"), Jars.manifest("preview-java", fix),
                Map.of("jarapp/fix/PreviewFix.class", versioned(fix, Opcodes.V17 | Opcodes.V_PREVIEW)));
        String message = Jars.refused(jar, Reason.INVALID_PATCH, "class " + fix + " cannot be used",
                "compiled with preview features", "61.65535", "javac --release " + Runtime.version().feature()
                + ") and use only the modules it runs with, without --enable-preview");
        assertFalse(message.contains("newer Java") || message.contains("Try running with")
                || message.contains(".."), message);
    }

    /** {@link Jars#patchClass} of a correct body, with class file version {@code version}. */
    private static byte[] versioned(String binaryName, int version) {
        byte[] bytes = Jars.patchClass(binaryName, Jars::returnsMinusOne);
        bytes[4] = (byte) (version >>> 24);
        bytes[5] = (byte) (version >>> 16);
        bytes[6] = (byte) (version >>> 8);
        bytes[7] = (byte) version;
        return bytes;
    }

    /**
     * A patch class in its own class loader reading a private field of the class it patches, also one
     * whose NestHost attribute claims that class: the JVM refuses the access at every call. Before, the
     * JAR loaded, status said PATCHED and every call threw IllegalAccessError (the running class names
     * the field itself, so the check of missing members passed it).
     */
    @Test
    void aPrivateMemberOfTheApplicationUsedFromThePatchsOwnLoaderIsRefused() throws Exception {
        for (boolean claimsNest : new boolean[] {false, true}) {
            String fix = claimsNest ? "jarapp.fix.NestClaimFix" : "jarapp.fix.PrivateReadFix";
            byte[] bytes = Jars.patchClass(fix, mv -> {
                mv.visitVarInsn(Opcodes.ALOAD, 0);
                mv.visitFieldInsn(Opcodes.GETFIELD, "jarapp/Counter", "count", "I");
                mv.visitInsn(Opcodes.IRETURN);
            });
            if (claimsNest) {
                ClassReader reader = new ClassReader(bytes);
                ClassWriter cw = new ClassWriter(reader, 0);
                reader.accept(new ClassVisitor(Opcodes.ASM9, cw) {
                    @Override
                    public void visitSource(String source, String debug) {
                        super.visitSource(source, debug);
                        super.visitNestHost("jarapp/Counter");
                    }
                }, 0);
                bytes = cw.toByteArray();
            }
            Path jar = Jars.write(dir.resolve(claimsNest + ".jar"), Jars.manifest("private-" + claimsNest, fix),
                    Map.of(fix.replace('.', '/') + ".class", bytes));
            Jars.refused(jar, Reason.INVALID_PATCH, "class " + fix + " uses field jarapp.Counter.count (int), which is"
                    + " private", "IllegalAccessError", "in package jarapp", "Livepatch-Nestmates");
        }
    }

    /**
     * The JDK's: a method of a class that is not public (java.util.ImmutableCollections), and a
     * private field of a public class (String.hash). Before, each loaded, status said PATCHED and
     * every call threw IllegalAccessError.
     */
    @Test
    void aJdkMemberThePatchCannotAccessIsRefused() throws Exception {
        String closed = "jarapp.fix.ClosedClassFix";
        Path notPublic = Jars.write(dir.resolve("not-public.jar"), Jars.manifest("jdk-not-public", closed),
                Map.of("jarapp/fix/ClosedClassFix.class", Jars.patchClass(closed, mv -> {
                    mv.visitInsn(Opcodes.ACONST_NULL);
                    mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/util/ImmutableCollections", "listCopy",
                            "(Ljava/util/Collection;)Ljava/util/List;", false);
                    mv.visitInsn(Opcodes.POP);
                    Jars.returnsMinusOne(mv);
                })));
        Jars.refused(notPublic, Reason.INVALID_PATCH, "class " + closed + " uses method"
                + " java.util.ImmutableCollections.listCopy", "its class is not public", "IllegalAccessError",
                "Use only the JDK's public API");
        String hidden = "jarapp.fix.StringHashFix";
        Path field = Jars.write(dir.resolve("private-jdk.jar"), Jars.manifest("jdk-private", hidden),
                Map.of("jarapp/fix/StringHashFix.class", Jars.patchClass(hidden, mv -> {
                    mv.visitLdcInsn("x");
                    mv.visitFieldInsn(Opcodes.GETFIELD, "java/lang/String", "hash", "I");
                    mv.visitInsn(Opcodes.IRETURN);
                })));
        Jars.refused(field, Reason.INVALID_PATCH, "class " + hidden + " uses field java.lang.String.hash (int), which"
                + " it cannot access: it is private", "IllegalAccessError");
    }

    /** The same read from a Livepatch-Nestmates class of jarapp.Counter is its own: it loads and runs. */
    @Test
    void aPrivateMemberUsedFromANestmateOfItsClassLoadsAndRuns() throws Exception {
        String fix = "jarapp.NestedReadFix";
        byte[] bytes = Jars.patchClass(fix, mv -> {
            mv.visitVarInsn(Opcodes.ALOAD, 0);
            mv.visitFieldInsn(Opcodes.GETFIELD, "jarapp/Counter", "count", "I");
            mv.visitIntInsn(Opcodes.BIPUSH, 100);
            mv.visitInsn(Opcodes.IADD);
            mv.visitInsn(Opcodes.IRETURN);
        });
        Map<String, String> manifest = new java.util.LinkedHashMap<>(Jars.manifest("private-nested", fix));
        manifest.put("Livepatch-Nestmates", fix + "=jarapp.Counter");
        io.jlivepatch.PatchHandle h = Jars.lp().load(Jars.write(dir.resolve("nested.jar"), manifest,
                Map.of(fix.replace('.', '/') + ".class", bytes)));
        h.enable();
        org.junit.jupiter.api.Assertions.assertTrue(h.awaitTransition(java.time.Duration.ofSeconds(60)));
        org.junit.jupiter.api.Assertions.assertEquals(100, new jarapp.Counter().next());
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
