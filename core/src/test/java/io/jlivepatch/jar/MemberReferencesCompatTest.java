package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The running method itself names a member its library lacks, on a branch it never takes
 * (compatibility code for two versions of a library, or an optional JDK module): the JVM resolves
 * lazily, so it runs. A patch of that method that keeps the very same reference (what 'jlivepatch
 * build' makes from the running build) must load: the first version of MemberReferences refused it
 * (found by a review; this test is the reviewer's, with the class-path case added).
 */
class MemberReferencesCompatTest {

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    @Test
    void aReferenceTheRunningClassFileAlreadyHasIsNotRefused() throws Exception {
        // The application's classes as files, as a class path or a JAR has them: the check reads the
        // running class file and finds the reference there.
        Path classes = dir.resolve("app");
        java.nio.file.Files.createDirectories(classes.resolve("compat"));
        java.nio.file.Files.write(classes.resolve("compat/Lib.class"), lib());
        java.nio.file.Files.write(classes.resolve("compat/App.class"), app());
        try (java.net.URLClassLoader loader = new java.net.URLClassLoader("compat-files",
                new java.net.URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            PatchHandle h = patched(loader, "compat-files");
            h.disable();
            h.unregister();

            // A reference the running class does not make is still refused, in the same application.
            Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
            entries.put("compat/fix/AppFix.class", fix());
            entries.put("compat/fix/NewerHelper.class", Jars.helperClass("compat.fix.NewerHelper", mv -> {
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, "compat/Lib", "newestApi", "()Ljava/lang/String;", false);
                mv.visitInsn(Opcodes.ARETURN);
            }));
            Path newer = Jars.write(dir.resolve("compat-newer.jar"), Jars.manifest("compat-newer", "compat.fix.AppFix"),
                    entries);
            PatchException e = org.junit.jupiter.api.Assertions.assertThrows(PatchException.class,
                    () -> Jars.lp().load(newer));
            assertEquals(PatchException.Reason.SIGNATURE_MISMATCH, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("uses method compat.Lib.newestApi() returning java.lang.String, which the"
                    + " running compat.Lib (loader compat-files"), e.getMessage());
            assertEquals("old", compute(loader));
        }
    }

    /**
     * The check asks an application class's class files, not a lookup: a lookup links the class,
     * and linking verifies it, which loads the classes its verification needs (second review: an
     * application that had loaded com.acme.X without linking it saw X verified, and Y and Z loaded,
     * by the load of a patch calling X.foo()).
     */
    @Test
    void checkingAMemberOfAnApplicationClassLinksNothing() throws Exception {
        Path classes = dir.resolve("linkapp");
        java.nio.file.Files.createDirectories(classes.resolve("compat"));
        java.nio.file.Files.write(classes.resolve("compat/Lib.class"), lib());
        java.nio.file.Files.write(classes.resolve("compat/App.class"), app());
        java.nio.file.Files.write(classes.resolve("compat/Z.class"), plain("compat/Z", "java/lang/Object"));
        java.nio.file.Files.write(classes.resolve("compat/Y.class"), plain("compat/Y", "compat/Z"));
        java.nio.file.Files.write(classes.resolve("compat/X.class"), unlinked());
        try (java.net.URLClassLoader loader = new java.net.URLClassLoader("compat-link",
                new java.net.URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            assertEquals("old", compute(loader));
            Class.forName("compat.X", false, loader); // loaded, as the application did, not linked
            Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
            entries.put("compat/fix/AppFix.class", fix());
            entries.put("compat/fix/XUser.class", Jars.helperClass("compat.fix.XUser", mv -> {
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, "compat/X", "foo", "()Ljava/lang/Object;", false);
                mv.visitInsn(Opcodes.ARETURN);
            }));
            Jars.lp().load(Jars.write(dir.resolve("compat-link.jar"), Jars.manifest("compat-link",
                    "compat.fix.AppFix"), entries));
            java.util.List<String> loaded = java.util.Arrays.stream(net.bytebuddy.agent.ByteBuddyAgent.install()
                    .getInitiatedClasses(loader)).map(Class::getName).toList();
            assertTrue(loaded.contains("compat.X"), loaded.toString());
            assertTrue(!loaded.contains("compat.Y") && !loaded.contains("compat.Z"), "the check linked compat.X,"
                    + " whose verification loaded: " + loaded);
        }
    }

    /**
     * The same, where the class lacking newApi() is one the application has not loaded yet (compat.Opt,
     * whose class file its loader serves): the reference the running class makes is not refused, a new
     * one is (before, neither was checked: the new one loaded as PATCHED and threw NoSuchMethodError at
     * every call once compat.Opt was loaded), and compat.Opt stays unloaded.
     */
    @Test
    void aReferenceTheRunningClassMakesToAClassNotLoadedYetIsNotRefused() throws Exception {
        Path classes = dir.resolve("optapp");
        java.nio.file.Files.createDirectories(classes.resolve("compat"));
        java.nio.file.Files.write(classes.resolve("compat/Lib.class"), lib());
        java.nio.file.Files.write(classes.resolve("compat/Opt.class"), plain("compat/Opt", "java/lang/Object"));
        java.nio.file.Files.write(classes.resolve("compat/App.class"), app("compat/Opt"));
        try (java.net.URLClassLoader loader = new java.net.URLClassLoader("compat-opt",
                new java.net.URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            assertEquals("old", compute(loader));
            PatchHandle h = Jars.lp().load(Jars.write(dir.resolve("compat-opt.jar"), Jars.manifest("compat-opt",
                    "compat.fix.AppFix"), Map.of("compat/fix/AppFix.class", fix("compat/Opt"))));
            h.enable();
            assertTrue(h.awaitTransition(Duration.ofSeconds(60)));
            assertEquals("fixed old", compute(loader));
            h.disable();
            h.unregister();

            Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
            entries.put("compat/fix/AppFix.class", fix("compat/Opt"));
            entries.put("compat/fix/NewerHelper.class", Jars.helperClass("compat.fix.NewerHelper", mv -> {
                mv.visitMethodInsn(Opcodes.INVOKESTATIC, "compat/Opt", "newestApi", "()Ljava/lang/String;", false);
                mv.visitInsn(Opcodes.ARETURN);
            }));
            Path newer = Jars.write(dir.resolve("compat-opt-newer.jar"), Jars.manifest("compat-opt-newer",
                    "compat.fix.AppFix"), entries);
            PatchException e = org.junit.jupiter.api.Assertions.assertThrows(PatchException.class,
                    () -> Jars.lp().load(newer));
            assertEquals(PatchException.Reason.SIGNATURE_MISMATCH, e.reason(), e.getMessage());
            assertTrue(e.getMessage().contains("uses method compat.Opt.newestApi() returning java.lang.String, which the"
                    + " application's compat.Opt (loader compat-opt"), e.getMessage());
            assertTrue(e.getMessage().contains("not loaded yet: read from its class file"), e.getMessage());
            assertTrue(Jars.lp().patches().stream().noneMatch(p -> p.name().equals("compat-opt-newer")));
            assertEquals("old", compute(loader));
            assertTrue(java.util.Arrays.stream(net.bytebuddy.agent.ByteBuddyAgent.install().getInitiatedClasses(loader))
                    .noneMatch(c -> c.getName().equals("compat.Opt")), "compat.Opt loaded");
        }
    }

    /** An empty class of that name and superclass. */
    private static byte[] plain(String name, String superName) {
        ClassWriter cw = new ClassWriter(0);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, name, null, superName, null);
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** compat.X: foo() returns a string; conv(Y) returns its Y as a Z, which its verification checks by loading both. */
    private static byte[] unlinked() {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, "compat/X", null, "java/lang/Object", null);
        MethodVisitor foo = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "foo", "()Ljava/lang/Object;", null,
                null);
        foo.visitCode();
        foo.visitLdcInsn("x");
        foo.visitInsn(Opcodes.ARETURN);
        foo.visitMaxs(0, 0);
        foo.visitEnd();
        MethodVisitor conv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "conv", "(Lcompat/Y;)Lcompat/Z;",
                null, null);
        conv.visitCode();
        conv.visitVarInsn(Opcodes.ALOAD, 0);
        conv.visitInsn(Opcodes.ARETURN);
        conv.visitMaxs(0, 0);
        conv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** A class defined from memory (no class file to read): what is new cannot be told, so nothing is refused. */
    @Test
    void aReferenceOfAClassWithoutAClassFileIsNotRefused() throws Exception {
        Map<String, byte[]> app = Map.of("compat.Lib", lib(), "compat.App", app());
        ClassLoader loader = new ClassLoader("compat-app", getClass().getClassLoader()) {
            @Override
            protected Class<?> findClass(String name) throws ClassNotFoundException {
                byte[] b = app.get(name);
                if (b == null) {
                    throw new ClassNotFoundException(name);
                }
                return defineClass(name, b, 0, b.length);
            }
        };
        patched(loader, "compat-memory");
    }

    /** Loads and enables the fix of compat.App, defined by {@code loader}, as patch {@code name}. */
    private PatchHandle patched(ClassLoader loader, String name) throws Exception {
        assertEquals("old", compute(loader));
        Path jar = Jars.write(dir.resolve(name + ".jar"), Jars.manifest(name, "compat.fix.AppFix"),
                Map.of("compat/fix/AppFix.class", fix()));
        PatchHandle h = Jars.lp().load(jar);
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(60)));
        assertEquals("fixed old", compute(loader));
        return h;
    }

    /** compat.App.compute(false) of a new instance from {@code loader}. */
    private static Object compute(ClassLoader loader) throws Exception {
        Object app = loader.loadClass("compat.App").getConstructor().newInstance();
        return app.getClass().getMethod("compute", boolean.class).invoke(app, false);
    }

    /** compat.Lib 1.0: oldApi() only (2.0 adds newApi()). */
    private static byte[] lib() {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, "compat/Lib", null, "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "oldApi", "()Ljava/lang/String;",
                null, null);
        mv.visitCode();
        mv.visitLdcInsn("old");
        mv.visitInsn(Opcodes.ARETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** compat.App: compute(useNew) { return useNew ? Lib.newApi() : Lib.oldApi(); } (built against Lib 2.0). */
    private static byte[] app() {
        return app("compat/Lib");
    }

    /** compat.App: compute(useNew) { return useNew ? newOwner.newApi() : Lib.oldApi(); }. */
    private static byte[] app(String newOwner) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, "compat/App", null, "java/lang/Object", null);
        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC, "compute", "(Z)Ljava/lang/String;", null, null);
        mv.visitCode();
        body(mv, 1, null, newOwner);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** The fix: the same compatibility code, "fixed " before the old API's answer. */
    private static byte[] fix() {
        return fix("compat/Lib");
    }

    /** The fix of {@link #app(String)}. */
    private static byte[] fix(String newOwner) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, "compat/fix/AppFix", null, "java/lang/Object",
                null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "compute",
                "(Lcompat/App;Z)Ljava/lang/String;", null, null);
        AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
        av.visit("target", "compat.App");
        av.visit("method", "compute");
        av.visitEnd();
        mv.visitCode();
        body(mv, 1, "fixed ", newOwner);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    private static void body(MethodVisitor mv, int flag, String prefix, String newOwner) {
        Label old = new Label();
        mv.visitVarInsn(Opcodes.ILOAD, flag);
        mv.visitJumpInsn(Opcodes.IFEQ, old);
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, newOwner, "newApi", "()Ljava/lang/String;", false);
        mv.visitInsn(Opcodes.ARETURN);
        mv.visitLabel(old);
        if (prefix != null) {
            mv.visitFrame(Opcodes.F_SAME, 0, null, 0, null);
            mv.visitLdcInsn(prefix);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "compat/Lib", "oldApi", "()Ljava/lang/String;", false);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/String", "concat",
                    "(Ljava/lang/String;)Ljava/lang/String;", false);
        } else {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "compat/Lib", "oldApi", "()Ljava/lang/String;", false);
        }
        mv.visitInsn(Opcodes.ARETURN);
    }
}
