package io.jlivepatch.internal.core;

import io.jlivepatch.Patch;
import io.jlivepatch.PatchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.ModuleVisitor;
import org.objectweb.asm.Opcodes;

import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A replacement given as a {@code Method} of a named module (an application on the module path):
 * jlivepatch, in the unnamed module, calls it through {@code publicLookup} when its class is public
 * and its package exported, else only if the module opens the package to it. The refusal says which
 * of those is missing and how to give it; each module is built here, in a layer of its own.
 */
class FunctionResolverAccessTest {

    private static final String MODULE = "acme.fixes";
    private static final String PACKAGE = "com.acme.fixes";

    @TempDir
    Path dir;

    @Test
    void aPublicClassOfAPackageTheModuleDoesNotExportIsNotToldToBeMadePublic() throws Exception {
        PatchException e = refused(replacement(true, ""));
        assertEquals(PatchException.Reason.INVALID_PATCH, e.reason());
        assertTrue(e.getMessage().startsWith("patch 'fix': com.acme.Greeter.greet()I: the replacement"
                + " com.acme.fixes.Fix.greet is not accessible to jlivepatch ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("): module acme.fixes does not export package com.acme.fixes, nor open it to"
                + " jlivepatch (the unnamed module): export it ('exports com.acme.fixes;' in the module's module-info),"
                + " or open it ('opens com.acme.fixes;', or --add-opens acme.fixes/com.acme.fixes=ALL-UNNAMED when the"
                + " JVM starts)"), e.getMessage());
    }

    @Test
    void aClassThatIsNotPublicInAPackageNeitherExportedNorOpenedIsToldBoth() throws Exception {
        PatchException e = refused(replacement(false, ""));
        assertTrue(e.getMessage().endsWith("): module acme.fixes does not export package com.acme.fixes, nor open it to"
                + " jlivepatch (the unnamed module), and class com.acme.fixes.Fix is not public: export it and make the"
                + " class public ('exports com.acme.fixes;' in the module's module-info), or open it ('opens"
                + " com.acme.fixes;', or --add-opens acme.fixes/com.acme.fixes=ALL-UNNAMED when the JVM starts)"),
                e.getMessage());
    }

    @Test
    void aClassThatIsNotPublicInAnExportedPackageIsToldToBePublic() throws Exception {
        PatchException e = refused(replacement(false, "exports"));
        assertTrue(e.getMessage().endsWith("): class com.acme.fixes.Fix is not public, and module acme.fixes does not"
                + " open package com.acme.fixes to jlivepatch (the unnamed module): make the class public, or open the"
                + " package ('opens com.acme.fixes;' in the module's module-info, or --add-opens"
                + " acme.fixes/com.acme.fixes=ALL-UNNAMED when the JVM starts)"), e.getMessage());
    }

    @Test
    void whatTheRefusalsAskForIsEnough() throws Exception {
        assertNotNull(FunctionResolver.handleOf("fix", replacement(true, "exports")), "exported, public");
        assertNotNull(FunctionResolver.handleOf("fix", replacement(false, "opens")), "opened");
    }

    private static PatchException refused(Patch.Replacement r) {
        return assertThrows(PatchException.class, () -> FunctionResolver.handleOf("fix", r));
    }

    /**
     * {@code com.acme.fixes.Fix.greet()I} of module acme.fixes, which {@code directive}s
     * ({@code exports}, {@code opens} or none) its package, its class public or not.
     */
    private Patch.Replacement replacement(boolean publicClass, String directive) throws Exception {
        Path module = Files.createDirectories(dir.resolve(directive.isEmpty() ? "plain" : directive)
                .resolve(publicClass ? "public" : "package"));
        Files.write(module.resolve("module-info.class"), moduleInfo(directive));
        Path pkg = Files.createDirectories(module.resolve(PACKAGE.replace('.', '/')));
        Files.write(pkg.resolve("Fix.class"), fix(publicClass));
        Configuration cf = ModuleLayer.boot().configuration().resolve(ModuleFinder.of(module), ModuleFinder.of(),
                Set.of(MODULE));
        ModuleLayer layer = ModuleLayer.boot().defineModulesWithOneLoader(cf, ClassLoader.getSystemClassLoader());
        Method greet = layer.findLoader(MODULE).loadClass(PACKAGE + ".Fix").getMethod("greet");
        return new Patch.Replacement("com.acme.Greeter", "greet", "()I", greet);
    }

    private static byte[] moduleInfo(String directive) {
        ClassWriter cw = new ClassWriter(0);
        cw.visit(Opcodes.V9, Opcodes.ACC_MODULE, "module-info", null, null, null);
        ModuleVisitor mv = cw.visitModule(MODULE, 0, null);
        mv.visitRequire("java.base", Opcodes.ACC_MANDATED, null);
        mv.visitPackage(PACKAGE.replace('.', '/'));
        if (directive.equals("exports")) {
            mv.visitExport(PACKAGE.replace('.', '/'), 0);
        } else if (directive.equals("opens")) {
            mv.visitOpen(PACKAGE.replace('.', '/'), 0);
        }
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** {@code [public] class Fix { public static int greet() { return 2; } }} */
    private static byte[] fix(boolean publicClass) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, (publicClass ? Opcodes.ACC_PUBLIC : 0) | Opcodes.ACC_SUPER,
                PACKAGE.replace('.', '/') + "/Fix", null, "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "greet", "()I", null, null);
        mv.visitCode();
        mv.visitInsn(Opcodes.ICONST_2);
        mv.visitInsn(Opcodes.IRETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }
}
