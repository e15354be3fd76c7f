package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import jarapp.Postmark;
import jarapp.Stamp;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The member check of a hand-written patch JAR (no digests of the classes it was built against) in
 * the class loaders other than the one the load checked first: a redeployed webapp, a second one.
 * Each test has a target class of its own (jarapp.Stamp, jarapp.Postmark): the copies it leaves in
 * loaders of its own would be present at the other's load.
 */
class LaterLoaderMembersTest {

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    /**
     * The replacement of next() calls label(int); a loader defined after the load has a copy of the
     * class without it. Before, that copy was PATCHED unchecked and next() threw NoSuchMethodError at
     * its first call, in the application's request; now it keeps its own code, FAILED there saying
     * which member it lacks, as the load's check refuses the JAR for the loaders it checks.
     */
    @Test
    void aLaterLoaderWhoseCopyLacksAMemberTheReplacementUsesKeepsItsOwnCode() throws Throwable {
        PatchHandle h = Jars.lp().load(jar("fix-labelled", "jarapp.Stamp"));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(2, new Stamp().next(), "\"#7\".length(): the replacement runs where the check was made");

        byte[] v1 = classFile("jarapp.Stamp");
        assertEquals(2, nextOf(new OwnCopy("with-label", "jarapp.Stamp", v1)), "the same class: patched");
        assertEquals(1, nextOf(new OwnCopy("without-label", "jarapp.Stamp", withoutLabel(v1))),
                "a copy without label(int): its own code");
        String status = h.functions().get(0).toString();
        assertTrue(status.matches(".*without-label@\\w+, state=FAILED, detail=[^\\]]*uses method"
                + " jarapp.Stamp.label\\(int\\) returning java.lang.String, which the running jarapp.Stamp \\(loader"
                + " without-label@\\w+\\) does not have.*"), status);
        assertTrue(status.matches(".*with-label@\\w+, state=PATCHED.*"), status);
    }

    /**
     * The same in a second loader whose copy is loaded when the JAR is loaded: refused as the load
     * refuses it for the loader it checks first (SIGNATURE_MISMATCH, naming the member and the loader),
     * whichever that is. Before, only that one was checked: with a copy that has label(int) checked
     * first (HotSpot lists the newest loader's classes first), the JAR loaded, and next() threw
     * NoSuchMethodError at the first call through the other copy.
     */
    @Test
    void aSecondLoaderWhoseCopyLacksAMemberAtTheLoadIsRefused() throws Throwable {
        byte[] v1 = classFile("jarapp.Postmark");
        new Postmark(); // the application loader's copy, which has label(int)
        OwnCopy second = new OwnCopy("second-without-label", "jarapp.Postmark", withoutLabel(v1));
        assertEquals(1, nextOf(second));
        OwnCopy third = new OwnCopy("third-with-label", "jarapp.Postmark", v1);
        assertEquals(1, nextOf(third));

        Path jar = jar("fix-labelled-second", "jarapp.Postmark");
        PatchException e = assertThrows(PatchException.class, () -> Jars.lp().load(jar));
        assertEquals(PatchException.Reason.SIGNATURE_MISMATCH, e.reason(), e.getMessage());
        assertTrue(e.getMessage().contains("uses method jarapp.Postmark.label(int) returning java.lang.String, which"
                + " the running jarapp.Postmark (loader second-without-label@"), e.getMessage());
        assertFalse(Jars.lp().find("fix-labelled-second").isPresent());
        assertEquals(1, nextOf(second), "its own code");
        assertEquals(1, nextOf(third));
        assertEquals(1, new Postmark().next());
    }

    /** A patch JAR of one replacement of {@code target}'s next(), returning label(7).length(); no digests. */
    private Path jar(String name, String target) throws java.io.IOException {
        String internal = target.replace('.', '/');
        String fix = "jarapp/fix/Lp" + internal.substring("jarapp/".length());
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, fix, null, "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "next", "(L" + internal + ";)I",
                null, null);
        AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
        av.visit("target", target);
        av.visit("method", "next");
        av.visitEnd();
        mv.visitCode();
        mv.visitIntInsn(Opcodes.BIPUSH, 7);
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, internal, "label", "(I)Ljava/lang/String;", false);
        mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/String", "length", "()I", false);
        mv.visitInsn(Opcodes.IRETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return Jars.write(dir.resolve(name + ".jar"), Jars.manifest(name, fix.replace('/', '.')),
                Map.of(fix + ".class", cw.toByteArray()));
    }

    private static byte[] classFile(String name) {
        return Jars.classes(name).get(name.replace('.', '/') + ".class");
    }

    /** next() of a new instance of {@code loader}'s own copy ({@link OwnCopy}). */
    private static int nextOf(OwnCopy loader) throws Throwable {
        Class<?> c = Class.forName(loader.className, true, loader);
        Object o = c.getConstructor().newInstance();
        return (int) MethodHandles.publicLookup().findVirtual(c, "next", MethodType.methodType(int.class)).invoke(o);
    }

    /** {@code classFile} without its method label(int): a version of the class that lacks it. */
    private static byte[] withoutLabel(byte[] classFile) {
        ClassWriter w = new ClassWriter(0);
        new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9, w) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                return name.equals("label") ? null : super.visitMethod(access, name, descriptor, signature, exceptions);
            }
        }, 0);
        return w.toByteArray();
    }

    /** Defines {@code className} from {@code bytes} itself, and serves those bytes as its class file. */
    private static final class OwnCopy extends ClassLoader {
        final String className;
        private final byte[] bytes;

        OwnCopy(String name, String className, byte[] bytes) {
            super(name, Stamp.class.getClassLoader());
            this.className = className;
            this.bytes = bytes;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                if (name.equals(className)) {
                    Class<?> c = findLoadedClass(name);
                    return c != null ? c : defineClass(name, bytes, 0, bytes.length);
                }
                return super.loadClass(name, resolve);
            }
        }

        @Override
        public InputStream getResourceAsStream(String name) {
            return name.equals(className.replace('.', '/') + ".class") ? new ByteArrayInputStream(bytes)
                    : super.getResourceAsStream(name);
        }
    }
}
