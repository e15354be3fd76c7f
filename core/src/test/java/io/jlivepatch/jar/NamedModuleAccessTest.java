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

    /**
     * Defines module {@code module} ({@code module}.open.Gate, {@code module}.hidden.Later; {@code exportsHidden}: its hidden package
     * exported too; {@code opensHidden}: opened, which at run time exports it too) in a layer of its own, with a loader of its own, and returns a new Gate of it.
     */
    private Object lateGate(String module, String name, boolean exportsHidden) throws Exception {
        return lateGate(module, name, exportsHidden, false);
    }

    /**
     * Each test has a module of its own: the copies of Gate a test leaves in loaders of its own would be
     * present at the other's load.
     */
    private Object lateGate(String module, String name, boolean exportsHidden, boolean opensHidden)
            throws Exception {
        Path root = dir.resolve(name);
        ClassWriter cw = new ClassWriter(0);
        cw.visit(Opcodes.V9, Opcodes.ACC_MODULE, "module-info", null, null, null);
        ModuleVisitor mv = cw.visitModule(module, 0, null);
        mv.visitRequire("java.base", Opcodes.ACC_MANDATED, null);
        mv.visitPackage(module + "/open");
        mv.visitPackage(module + "/hidden");
        mv.visitExport(module + "/open", 0);
        if (exportsHidden) {
            mv.visitExport(module + "/hidden", 0);
        }
        if (opensHidden) {
            mv.visitOpen(module + "/hidden", 0);
        }
        mv.visitEnd();
        cw.visitEnd();
        write(root, "module-info", cw.toByteArray());
        write(root, module + "/open/Gate", counter(module + "/open/Gate"));
        write(root, module + "/hidden/Later", counter(module + "/hidden/Later"));
        Configuration cf = ModuleLayer.boot().configuration().resolve(ModuleFinder.of(root), ModuleFinder.of(),
                Set.of(module));
        ModuleLayer layer = ModuleLayer.defineModulesWithOneLoader(cf, List.of(ModuleLayer.boot()),
                ClassLoader.getSystemClassLoader()).layer();
        return Class.forName(module + ".open.Gate", true, layer.findLoader(module)).getConstructor().newInstance();
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
                        + " (Livepatch-Nestmates: <that class>=modtest.hidden.Store), as jlivepatch build does (module"
                        + " modtest is in a module layer the application defines, which --add-exports does not reach)");
        assertEquals(1, (int) store.getClass().getMethod("next").invoke(store), "nothing patched");
    }

    @Test
    void aClassNotLoadedYetOfAPackageTheModuleDoesNotExportIsRefusedWithoutLoadingIt() throws Exception {
        String fix = "modfix.LaterFix";
        assertFalse(loadedAnywhere("modtest.hidden.Later"), "the case needs a class not loaded yet");
        String message = Jars.refused(jar("hidden-later", fix, patchClass(fix, OPEN + "/Gate",
                classConstant(HIDDEN + "/Later"))), Reason.INVALID_PATCH, "class " + fix + " uses class"
                + " modtest.hidden.Later, which it cannot access: module modtest does not export modtest.hidden",
                "which --add-exports does not reach");
        // Only a module of the boot layer (the module path) is reached by the command line's --add-exports.
        assertFalse(message.contains("start the application with --add-exports"), message);
        assertFalse(loadedAnywhere("modtest.hidden.Later"), "the check loaded modtest.hidden.Later");
    }

    /**
     * A layer defined after the load (a plugin deployed later, the one there at the load exporting the package)
     * whose module does not export the package of a class the replacement uses: that loader's copy keeps its own code, FAILED there saying why, as the load
     * refuses the JAR for the loaders it checks. Before, the check of a later loader looked only in the boot
     * layer for the module of a class not loaded yet: its Gate was PATCHED and next() threw IllegalAccessError.
     */
    @Test
    void aLayerDefinedAfterTheLoadWhoseModuleDoesNotExportThePackageKeepsItsOwnCode() throws Exception {
        Object exporting = lateGate("modlate", "late-exporting", true);
        String fix = "modfix.LateGateFix";
        PatchHandle h = Jars.lp().load(jar("late-gate", fix, patchClass(fix, "modlate/open/Gate",
                classConstant("modlate/hidden/Later"))));
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(60)));
        assertEquals(-1, (int) exporting.getClass().getMethod("next").invoke(exporting),
                "a layer whose module exports the package: patched");
        Object gate = lateGate("modlate", "late", false);
        assertEquals(1, (int) gate.getClass().getMethod("next").invoke(gate), "its own code");
        String status = h.functions().get(0).toString();
        assertTrue(status.matches("(?s).*state=FAILED, detail=[^\\]]*uses class modlate.hidden.Later, which it"
                + " cannot access: module modlate does not export modlate.hidden.*"), status);
    }

    /**
     * The same with both layers there at the load, the one whose module exports the package defined last
     * (HotSpot lists the newest loader's classes first, so its loader is checked first): refused. Before,
     * the other loader's check looked only in the boot layer, and the JAR loaded.
     */
    @Test
    void aSecondLayerWhoseModuleDoesNotExportThePackageIsRefusedAtTheLoad() throws Exception {
        Object closed = lateGate("modsecond", "second-closed", false);
        Object open = lateGate("modsecond", "second-open", true);
        String fix = "modfix.SecondGateFix";
        Jars.refused(jar("second-gate", fix, patchClass(fix, "modsecond/open/Gate",
                classConstant("modsecond/hidden/Later"))), Reason.INVALID_PATCH, "uses class modsecond.hidden.Later,"
                + " which it cannot access: module modsecond does not export modsecond.hidden");
        assertEquals(1, (int) closed.getClass().getMethod("next").invoke(closed), "nothing patched");
        assertEquals(1, (int) open.getClass().getMethod("next").invoke(open), "nothing patched");
    }

    /**
     * A child-first loader (a plugin's, a webapp's) whose parent's module holds package modtest.hidden, not
     * exported, and which defines that package's classes it has itself, in its unnamed module: the patch of
     * its class uses its own Later, public, which the JVM lets it use. Before, the check took the class for
     * the parent's module's (a module of a layer its loader's classes are in, holding the package, whose
     * loader it delegates to) and refused the JAR, though it would run.
     */
    @Test
    void aChildFirstLoadersOwnClassOfAPackageItsParentsModuleHoldsLoadsAndRuns() throws Exception {
        ChildFirst child = new ChildFirst(store.getClass().getClassLoader(), Map.of(
                "modtest.hidden.Own", counter(HIDDEN + "/Own"), "modtest.hidden.Later", withField(counter(HIDDEN
                        + "/Later"))));
        Object own = Class.forName("modtest.hidden.Own", true, child).getConstructor().newInstance();
        assertEquals(child, own.getClass().getClassLoader());
        Class.forName("modtest.open.Gate", false, child); // the child asked its parent for a class of the module
        assertFalse(loadedAnywhere("modtest.hidden.Later"), "the case needs a class not loaded yet");
        String fix = "modfix.OwnFix";
        assertEquals(-1, loadedAndRun(jar("child-own", fix, patchClass(fix, HIDDEN + "/Own",
                classConstant(HIDDEN + "/Later"))), own));
    }

    /** {@code classFile} with a public static int field {@code own}: a file of the same class, not the same bytes. */
    private static byte[] withField(byte[] classFile) {
        ClassWriter w = new ClassWriter(0);
        new org.objectweb.asm.ClassReader(classFile).accept(new org.objectweb.asm.ClassVisitor(Opcodes.ASM9, w) {
            @Override
            public void visitEnd() {
                visitField(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "own", "I", null, null).visitEnd();
                super.visitEnd();
            }
        }, 0);
        return w.toByteArray();
    }

    /** Defines the classes it has itself (and serves their files), asking its parent for the others. */
    private static final class ChildFirst extends ClassLoader {
        private final Map<String, byte[]> own;

        ChildFirst(ClassLoader parent, Map<String, byte[]> own) {
            super("child-first", parent);
            this.own = own;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                byte[] bytes = own.get(name);
                if (bytes == null) {
                    return super.loadClass(name, resolve);
                }
                Class<?> c = findLoadedClass(name);
                return c != null ? c : defineClass(name, bytes, 0, bytes.length);
            }
        }

        @Override
        public java.io.InputStream getResourceAsStream(String name) {
            byte[] bytes = name.endsWith(".class") ? own.get(name.substring(0, name.length() - 6).replace('/', '.'))
                    : null;
            return bytes != null ? new java.io.ByteArrayInputStream(bytes) : super.getResourceAsStream(name);
        }
    }

    /**
     * A MethodHandle call ({@code next.invokeExact(store)}, as a {@code @Next} replacement makes) whose
     * descriptor names a class of a package the module does not export: the JVM resolves that descriptor as
     * a method type, access-checked, and throws IllegalAccessError at every call. Before, it loaded. One
     * naming an exported package's class loads.
     */
    @Test
    void aMethodHandleCallWhoseDescriptorNamesAnUnexportedPackagesClassIsRefused() throws Exception {
        String fix = "modfix.NextStoreFix";
        Jars.refused(jar("next-store", fix, patchClass(fix, HIDDEN + "/Store", handleCall(HIDDEN + "/Store"))),
                Reason.INVALID_PATCH, "class " + fix + " uses class modtest.hidden.Store, which it cannot access:"
                        + " module modtest does not export modtest.hidden");
        String fix2 = "modfix.NextGateFix";
        Jars.lp().load(jar("next-gate", fix2, patchClass(fix2, OPEN + "/Gate", handleCall(OPEN + "/Gate"))));
    }

    /** {@code ((MethodHandle) null).invokeExact(target)}, returning its int: the call's descriptor names {@code target}. */
    private static Consumer<MethodVisitor> handleCall(String target) {
        return mv -> {
            mv.visitInsn(Opcodes.ACONST_NULL);
            mv.visitTypeInsn(Opcodes.CHECKCAST, "java/lang/invoke/MethodHandle");
            mv.visitVarInsn(Opcodes.ALOAD, 0);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/lang/invoke/MethodHandle", "invokeExact",
                    "(L" + target + ";)I", false);
            mv.visitInsn(Opcodes.IRETURN);
        };
    }

    /** A package the module opens but does not export: the JVM lets every module use its public classes. */
    @Test
    void anOpenedPackageLoadsAndRuns() throws Exception {
        Object opened = lateGate("modopened", "opened", false, true);
        String fix = "modfix.OpenedFix";
        assertEquals(-1, loadedAndRun(jar("opened-gate", fix, patchClass(fix, "modopened/open/Gate",
                classConstant("modopened/hidden/Later"))), opened));
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
