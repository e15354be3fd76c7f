package io.jlivepatch.internal.jar;

import io.jlivepatch.jar.GeneratedClasses;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.ModuleVisitor;
import org.objectweb.asm.Opcodes;

import java.lang.invoke.MethodHandles;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * CarriedRecordsTest.aClassCarriedIntoAModuleOnTheModulePathCountsForAPlatformLoadersChild's JVM: jlivepatch on
 * the boot class path (-Xbootclasspath/a), so that its own loader, walked with every target's, is the boot
 * loader; module {@code carriedmod} on the module path, defined to the application loader. A class carried
 * unchecked into that module's package is resolved by the platform loader (it asks the application loader for a
 * package of a named module of the boot layer), so by a patch class defined for a loader whose parent is the
 * platform loader: a use of it there counts. This driver is the application loader's (the class path's), and
 * jlivepatch's classes the boot loader's: another runtime package, so it reaches them reflectively.
 * {@link #writeModule} writes the module before the JVM starts.
 */
public final class PlatformLoaderReachDriver {

    private PlatformLoaderReachDriver() {
    }

    public static void main(String[] args) throws Exception {
        Class<?> carried = Class.forName("io.jlivepatch.internal.jar.CarriedClasses", false, null);
        Class<?> resolving = Class.forName("io.jlivepatch.internal.jar.ResolvingLoaders", false, null);
        check(carried.getClassLoader() == null, "jlivepatch is on the boot class path");
        ClassLoader app = ClassLoader.getSystemClassLoader();
        Class<?> host = Class.forName("carriedmod.Host", false, app);
        check(host.getModule().isNamed() && host.getClassLoader() == app, "carriedmod is the application loader's");

        Method define = method(carried, "define", MethodHandles.Lookup.class, String.class, byte[].class,
                String.class, String.class, boolean.class);
        MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(host, MethodHandles.lookup());
        check((Boolean) define.invoke(null, lookup, "carriedmod.Tool", CarriedRecordsTest.helper("carriedmod.Tool"),
                "carry-test", "jar-sha", false), "carried carriedmod.Tool unchecked");

        ClassLoader platform = ClassLoader.getPlatformClassLoader();
        check(Class.forName("carriedmod.Tool", false, platform).getClassLoader() == app,
                "the platform loader resolves the carried class in the application loader");
        URLClassLoader belowPlatform = new URLClassLoader("below-platform", new URL[0], platform);

        Set<?> through = (Set<?>) method(resolving, "forTarget", ClassLoader.class).invoke(null, belowPlatform);
        check(through != null, "a parent-first loader below the platform loader is judged");
        check(through.contains(app), "the application loader is one the target's code resolves names through: "
                + through);
        Class<?> usesType = Class.forName("io.jlivepatch.internal.jar.CarriedClasses$Uses", false, null);
        Constructor<?> uses = usesType.getDeclaredConstructor(List.class, Set.class);
        uses.setAccessible(true);
        Object use = method(carried, "uncheckedUse", usesType, Set.class)
                .invoke(null, uses.newInstance(List.of("carriedmod.Tool"), Set.of()), through);
        check(use != null, "a use of the carried class by a patch class below the platform loader counts");
        System.out.println("RESULT ok");
    }

    /** Writes module {@code carriedmod} (open, package {@code carriedmod}, class {@code carriedmod.Host}) to {@code dir}. */
    static void writeModule(Path dir) throws Exception {
        ClassWriter cw = new ClassWriter(0);
        cw.visit(Opcodes.V9, Opcodes.ACC_MODULE, "module-info", null, null, null);
        ModuleVisitor mv = cw.visitModule("carriedmod", Opcodes.ACC_OPEN, null);
        mv.visitRequire("java.base", Opcodes.ACC_MANDATED, null);
        mv.visitPackage("carriedmod");
        mv.visitEnd();
        cw.visitEnd();
        Files.createDirectories(dir.resolve("carriedmod"));
        Files.write(dir.resolve("module-info.class"), cw.toByteArray());
        Files.write(dir.resolve("carriedmod/Host.class"), GeneratedClasses.empty("carriedmod.Host"));
    }

    private static Method method(Class<?> type, String name, Class<?>... parameters) throws Exception {
        Method m = type.getDeclaredMethod(name, parameters);
        m.setAccessible(true);
        return m;
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
