package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import io.jlivepatch.PatchHandle;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.ModuleVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A class in the patch's own class loader (an unnamed module) using a public class of the application's
 * named module (the module path, a layer) whose package that module does not export: the JVM refuses that
 * access at every use, so the load is refused, saying what to do. Before, such a patch (the README's
 * hand-written kind, for a modular service) loaded, status said PATCHED and every call threw
 * IllegalAccessError: every request through the patched method failed, the legitimate ones too.
 */
class NamedModuleAccessTest {

    private static final String MODULE = "modtest";
    /** Not exported: modtest.hidden.Store and modtest.hidden.Later. */
    private static final String HIDDEN = "modtest/hidden";
    /** Exported: modtest.open.Gate. */
    private static final String OPEN = "modtest/open";

    @TempDir
    static Path modules;

    @TempDir
    Path dir;

    private static Object store;
    private static Object gate;

    /** Defines module modtest in a layer of its own, as the module path would, and loads Store and Gate (not Later). */
    @BeforeAll
    static void defineModule() throws Exception {
        Path root = modules.resolve(MODULE);
        write(root, "module-info", moduleInfo());
        write(root, HIDDEN + "/Store", counter(HIDDEN + "/Store"));
        write(root, HIDDEN + "/Later", counter(HIDDEN + "/Later"));
        write(root, OPEN + "/Gate", counter(OPEN + "/Gate"));
        Configuration cf = ModuleLayer.boot().configuration().resolve(ModuleFinder.of(root), ModuleFinder.of(),
                Set.of(MODULE));
        ModuleLayer.Controller controller = ModuleLayer.defineModulesWithOneLoader(cf, List.of(ModuleLayer.boot()),
                ClassLoader.getSystemClassLoader());
        ModuleLayer layer = controller.layer();
        // For this test's own calls alone: the class path's unnamed module, never a patch loader's.
        controller.addOpens(layer.findModule(MODULE).orElseThrow(), HIDDEN.replace('/', '.'),
                NamedModuleAccessTest.class.getModule());
        ClassLoader loader = layer.findLoader(MODULE);
        store = Class.forName("modtest.hidden.Store", true, loader).getConstructor().newInstance();
        gate = Class.forName("modtest.open.Gate", true, loader).getConstructor().newInstance();
    }

    @AfterEach
    void removeAll() throws PatchException {
        Jars.removeAll();
    }

    private static void write(Path root, String internalName, byte[] bytes) throws Exception {
        Path file = root.resolve(internalName + ".class");
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }

    private static byte[] moduleInfo() {
        ClassWriter cw = new ClassWriter(0);
        cw.visit(Opcodes.V9, Opcodes.ACC_MODULE, "module-info", null, null, null);
        ModuleVisitor mv = cw.visitModule(MODULE, 0, null);
        mv.visitRequire("java.base", Opcodes.ACC_MANDATED, null);
        mv.visitPackage(HIDDEN);
        mv.visitPackage(OPEN);
        mv.visitExport(OPEN, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** A public class with a public constructor and {@code public int next()} returning 1. */
    private static byte[] counter(String internalName) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, internalName, null, "java/lang/Object", null);
        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        MethodVisitor next = cw.visitMethod(Opcodes.ACC_PUBLIC, "next", "()I", null, null);
        next.visitCode();
        next.visitInsn(Opcodes.ICONST_1);
        next.visitInsn(Opcodes.IRETURN);
        next.visitMaxs(0, 0);
        next.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** A patch class whose {@code public static int next(target)} replaces {@code target}'s next; {@code code} its body. */
    private static byte[] patchClass(String binaryName, String target, Consumer<MethodVisitor> code) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, binaryName.replace('.', '/'), null,
                "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "next",
                "(L" + target + ";)I", null, null);
        AnnotationVisitor av = mv.visitAnnotation("Lio/jlivepatch/Replaces;", true);
        av.visit("target", target.replace('/', '.'));
        av.visit("method", "next");
        av.visitEnd();
        mv.visitCode();
        code.accept(mv);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    private Path jar(String name, String fix, byte[] bytes) throws Exception {
        return Jars.write(dir.resolve(name + ".jar"), Jars.manifest(name, fix),
                Map.of(fix.replace('.', '/') + ".class", bytes));
    }

    /** {@code ldc} of class {@code internalName}, then returns -1. */
    private static Consumer<MethodVisitor> classConstant(String internalName) {
        return mv -> {
            mv.visitLdcInsn(Type.getObjectType(internalName));
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        };
    }

    /** Loads and enables {@code jar}, then calls next() of {@code receiver}. */
    private static int loadedAndRun(Path jar, Object receiver) throws Exception {
        PatchHandle h = Jars.lp().load(jar);
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(60)));
        return (int) receiver.getClass().getMethod("next").invoke(receiver);
    }

    private static boolean loadedAnywhere(String name) {
        return Arrays.stream(ByteBuddyAgent.install().getAllLoadedClasses()).anyMatch(c -> c.getName().equals(name));
    }

    @Test
    void aLoadedClassOfAPackageTheModuleDoesNotExportIsRefusedSayingWhatToDo() throws Exception {
        String fix = "modfix.StoreFix";
        Jars.refused(jar("hidden-store", fix, patchClass(fix, HIDDEN + "/Store", classConstant(HIDDEN + "/Store"))),
                Reason.INVALID_PATCH, "class " + fix + " uses class modtest.hidden.Store, which it cannot access: module"
                        + " modtest does not export modtest.hidden to the unnamed module of the patch's own class loader",
                "IllegalAccessError", "a class in package modtest.hidden made a nestmate of a class of that package"
                        + " (Livepatch-Nestmates: <that class>=modtest.hidden.Store), as jlivepatch build does",
                "--add-exports modtest/modtest.hidden=ALL-UNNAMED");
        assertEquals(1, (int) store.getClass().getMethod("next").invoke(store), "nothing patched");
    }

    @Test
    void aClassNotLoadedYetOfAPackageTheModuleDoesNotExportIsRefusedWithoutLoadingIt() throws Exception {
        String fix = "modfix.LaterFix";
        assertFalse(loadedAnywhere("modtest.hidden.Later"), "the case needs a class not loaded yet");
        Jars.refused(jar("hidden-later", fix, patchClass(fix, OPEN + "/Gate", classConstant(HIDDEN + "/Later"))),
                Reason.INVALID_PATCH, "class " + fix + " uses class modtest.hidden.Later, which it cannot access: module"
                        + " modtest does not export modtest.hidden", "--add-exports modtest/modtest.hidden=ALL-UNNAMED");
        assertFalse(loadedAnywhere("modtest.hidden.Later"), "the check loaded modtest.hidden.Later");
    }

    /** An exported package's class, and a hidden one named only in the replacement's own descriptor, run. */
    @Test
    void anExportedPackageAndAReceiverTypeOnlyInTheDescriptorLoadAndRun() throws Exception {
        String fix = "modfix.GateFix";
        assertEquals(-1, loadedAndRun(jar("open-gate", fix, patchClass(fix, OPEN + "/Gate",
                classConstant(OPEN + "/Gate"))), gate));
        Jars.removeAll();
        String fix2 = "modfix.StoreTypeFix";
        assertEquals(-1, loadedAndRun(jar("hidden-type", fix2, patchClass(fix2, HIDDEN + "/Store",
                Jars::returnsMinusOne)), store));
    }
}
