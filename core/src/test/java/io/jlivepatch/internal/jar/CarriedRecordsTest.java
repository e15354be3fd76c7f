package io.jlivepatch.internal.jar;

import io.jlivepatch.ChildJvm;
import io.jlivepatch.internal.Sha256;
import io.jlivepatch.jar.GeneratedClasses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.module.Configuration;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.net.URI;
import java.lang.ref.WeakReference;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What CarriedClasses records of a class a patch carried into a loader, and which loaders a use of it is
 * judged against. Before, the record of checked class files was a set that only grew, a use counted in every
 * loader, and a loader gone left its count of unchecked classes behind. Class names of this test's own
 * ({@code carriedrec.}): the records are the JVM's, shared with other tests.
 */
class CarriedRecordsTest {

    @TempDir
    Path dir;

    /** A loader that asks itself first (a child-first webapp loader): where it resolves a name is not known. */
    static final class ChildFirst extends URLClassLoader {
        ChildFirst(URL[] urls, ClassLoader parent) {
            super(urls, parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    try {
                        c = findClass(name);
                    } catch (ClassNotFoundException e) {
                        c = super.loadClass(name, false);
                    }
                }
                return c;
            }
        }
    }

    @Test
    void aUseCountsOnlyInTheLoadersItsCodeResolvesThrough() throws Exception {
        URLClassLoader a = webapp("a", "carriedrec.a.Host");
        URLClassLoader b = webapp("b", "carriedrec.a.Host");
        URLClassLoader child = new URLClassLoader("child-of-a", new URL[0], a);
        ChildFirst childFirst = new ChildFirst(new URL[] {dir.resolve("b").toUri().toURL()},
                ClassLoader.getSystemClassLoader());
        byte[] tool = helper("carriedrec.a.Tool");
        assertTrue(carry(a, "carriedrec.a.Host", "carriedrec.a.Tool", tool, false));
        CarriedClasses.Uses uses = new CarriedClasses.Uses(List.of("carriedrec.a.Tool"), Set.of());

        assertNull(CarriedClasses.uncheckedUse(uses, ResolvingLoaders.forTarget(b)), "a sibling cannot resolve it");
        String[] inA = CarriedClasses.uncheckedUse(uses, ResolvingLoaders.forTarget(a));
        assertNotNull(inA, "A's own code resolves it");
        assertArrayEquals(new String[] {"carriedrec.a.Tool", "carry-test", "jar-sha"}, inA);
        assertNotNull(CarriedClasses.uncheckedUse(uses, ResolvingLoaders.forTarget(child)), "a child delegates to A");
        assertNull(ResolvingLoaders.forTarget(childFirst), "a child-first loader is not judged");
        assertNotNull(CarriedClasses.uncheckedUse(uses, ResolvingLoaders.forTarget(childFirst)),
                "a loader not judged parent-first counts every loader, as before");
        // its signer's own copy of the very bytes vouches for itself anywhere
        assertNull(CarriedClasses.uncheckedUse(new CarriedClasses.Uses(uses.named(), Set.of(Sha256.hex(tool))),
                ResolvingLoaders.forTarget(a)));
        assertTrue(ResolvingLoaders.parentFirst(a) && ResolvingLoaders.parentFirst(null)
                && ResolvingLoaders.parentFirst(ClassLoader.getSystemClassLoader()));
        assertFalse(ResolvingLoaders.parentFirst(childFirst));
    }

    /**
     * A loader that keeps URLClassLoader's loadClass and findClass but overrides what they call (the class
     * loading lock, findResource, getResource) is judged parent-first, and rightly: loadClass returns only what
     * findLoadedClass (final) has, what its parent returns, or what findClass defines from its own URLs, which it
     * reads through URLClassPath, never findResource. Here those overrides ask sibling webapp A's loader, into
     * which a class was carried, and the loader still cannot resolve it, nor A's own class. One that overrides
     * only the one-argument loadClass (what the JVM calls) is not judged parent-first.
     */
    @Test
    void overridingWhatLoadClassCallsReachesNoSibling() throws Exception {
        URLClassLoader a = webapp("hooks", "carriedrec.hooks.Host");
        assertTrue(carry(a, "carriedrec.hooks.Host", "carriedrec.hooks.Tool", helper("carriedrec.hooks.Tool"), false));
        Hooks hooks = new Hooks(ClassLoader.getSystemClassLoader(), a);
        assertTrue(ResolvingLoaders.parentFirst(hooks), "keeps loadClass and findClass");
        for (String name : List.of("carriedrec.hooks.Tool", "carriedrec.hooks.Host")) {
            assertThrowsCnfe(hooks, name);
        }
        assertTrue(hooks.asked > 0, "its overrides ran and asked A");
        assertFalse(ResolvingLoaders.parentFirst(new OneArgument(a)), "overrides loadClass(String)");
    }

    private static void assertThrowsCnfe(ClassLoader loader, String name) {
        try {
            Class<?> c = loader.loadClass(name);
            throw new AssertionError(name + " resolved through " + loader + " to " + c.getClassLoader());
        } catch (ClassNotFoundException expected) {
            // not reachable
        }
    }

    /** Overrides what ClassLoader.loadClass and URLClassLoader.findClass call, each asking {@code other}. */
    static final class Hooks extends URLClassLoader {
        private final ClassLoader other;
        volatile int asked;

        Hooks(ClassLoader parent, ClassLoader other) {
            super("hooks", new URL[0], parent);
            this.other = other;
        }

        @Override
        protected Object getClassLoadingLock(String name) {
            asked++;
            try {
                other.loadClass(name);
            } catch (ClassNotFoundException e) {
                // only asked
            }
            return super.getClassLoadingLock(name);
        }

        @Override
        public URL findResource(String name) {
            return other.getResource(name);
        }

        @Override
        public URL getResource(String name) {
            return other.getResource(name);
        }
    }

    /** Overrides only the one-argument loadClass, answering from {@code other}. */
    static final class OneArgument extends URLClassLoader {
        private final ClassLoader other;

        OneArgument(ClassLoader other) {
            super("one-argument", new URL[0], ClassLoader.getSystemClassLoader());
            this.other = other;
        }

        @Override
        public Class<?> loadClass(String name) throws ClassNotFoundException {
            return other.loadClass(name);
        }
    }

    /**
     * A module layer's loaders (jdk.internal.loader.Loader, a class the boot loader defined) resolve a package
     * of a module their module reads through that module's loader, a sibling: a class carried unchecked into
     * module A's loader runs under the name of a patch of module B's. Before, any jdk.internal.loader class
     * the boot loader defined counted as parent-first, and B's loader was judged to reach only its ancestors.
     */
    @Test
    void aModuleLayersLoaderThatResolvesThroughASiblingIsNotJudgedParentFirst() throws Exception {
        byte[] host = GeneratedClasses.empty("carriedrec.layera.Host");
        ModuleFinder finder = new InMemoryModules(Map.of(
                ModuleDescriptor.newOpenModule("carriedrec.layera").exports("carriedrec.layera").build(),
                Map.of("carriedrec/layera/Host.class", host),
                ModuleDescriptor.newOpenModule("carriedrec.layerb").requires("carriedrec.layera")
                        .packages(Set.of("carriedrec.layerb")).build(), Map.of()));
        Configuration cf = ModuleLayer.boot().configuration().resolve(finder, ModuleFinder.of(),
                Set.of("carriedrec.layerb"));
        ModuleLayer layer = ModuleLayer.boot().defineModulesWithManyLoaders(cf, ClassLoader.getSystemClassLoader());
        ClassLoader a = layer.findLoader("carriedrec.layera");
        ClassLoader b = layer.findLoader("carriedrec.layerb");
        assertTrue(a != b && b.getParent() == ClassLoader.getSystemClassLoader());
        assertTrue(carry(a, "carriedrec.layera.Host", "carriedrec.layera.Tool", helper("carriedrec.layera.Tool"),
                false));
        assertEquals(a, b.loadClass("carriedrec.layera.Tool").getClassLoader(), "B's loader resolves it in A's");

        assertFalse(ResolvingLoaders.parentFirst(b), "a layer's loader delegates to its siblings");
        assertNull(ResolvingLoaders.forTarget(b), "where B's code resolves a name is not known");
        CarriedClasses.Uses uses = new CarriedClasses.Uses(List.of("carriedrec.layera.Tool"), Set.of());
        assertNotNull(CarriedClasses.uncheckedUse(uses, ResolvingLoaders.forTarget(b)),
                "a patch of B's class resolves A's unchecked class");
    }

    /**
     * Judging a loader's class runs none of the application's code: the verdict is asked at an enable, under
     * klpMutex, where a loader that blocks would hold every operation. Before, Class.getDeclaredMethods of the
     * loader's class resolved the types of all its methods, asking the loader that defined the class for those
     * not loaded yet (here carriedrec.judged.Probe, which it has not: the class was not judged at all).
     */
    @Test
    void judgingALoadersClassAsksTheLoaderThatDefinedItNothing() throws Exception {
        Asked asked = new Asked(ClassLoader.getSystemClassLoader());
        Class<?> judged = asked.define("carriedrec.judged.Judged", judgedLoader("carriedrec/judged/Judged"));
        ClassLoader loader = (ClassLoader) judged.getConstructor(URL[].class, ClassLoader.class)
                .newInstance(new URL[0], ClassLoader.getSystemClassLoader());
        asked.names.clear();
        boolean parentFirst = ResolvingLoaders.parentFirst(loader);
        assertEquals(List.of(), List.copyOf(asked.names), "names asked of the loader that defined the judged class");
        assertTrue(parentFirst, "it keeps URLClassLoader's loadClass and findClass");
    }

    /** A loader that records the names it is asked for. */
    private static final class Asked extends ClassLoader {
        final List<String> names = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

        Asked(ClassLoader parent) {
            super("asked", parent);
        }

        Class<?> define(String name, byte[] bytes) {
            return defineClass(name, bytes, 0, bytes.length);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            names.add(name);
            return super.loadClass(name, resolve);
        }
    }

    /**
     * {@code public class <name> extends URLClassLoader { public <init>(URL[], ClassLoader) {...}
     * public void use(carriedrec.judged.Probe p) {} }}: parent-first, and one method of a type nowhere.
     */
    private static byte[] judgedLoader(String name) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, name, null, "java/net/URLClassLoader", null);
        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "([Ljava/net/URL;Ljava/lang/ClassLoader;)V",
                null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitVarInsn(Opcodes.ALOAD, 1);
        init.visitVarInsn(Opcodes.ALOAD, 2);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/net/URLClassLoader", "<init>",
                "([Ljava/net/URL;Ljava/lang/ClassLoader;)V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        MethodVisitor use = cw.visitMethod(Opcodes.ACC_PUBLIC, "use", "(Lcarriedrec/judged/Probe;)V", null, null);
        use.visitCode();
        use.visitInsn(Opcodes.RETURN);
        use.visitMaxs(0, 0);
        use.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** Modules held here: each descriptor with its class files by path. */
    private static final class InMemoryModules implements ModuleFinder {
        private final Map<String, ModuleReference> refs = new java.util.HashMap<>();

        InMemoryModules(Map<ModuleDescriptor, Map<String, byte[]>> modules) {
            modules.forEach((d, files) -> refs.put(d.name(), new ModuleReference(d, null) {
                @Override
                public ModuleReader open() {
                    return new ModuleReader() {
                        @Override
                        public Optional<URI> find(String name) {
                            return Optional.empty();
                        }

                        @Override
                        public Optional<InputStream> open(String name) {
                            byte[] bytes = files.get(name);
                            return bytes == null ? Optional.empty() : Optional.of(new ByteArrayInputStream(bytes));
                        }

                        @Override
                        public Stream<String> list() {
                            return files.keySet().stream();
                        }

                        @Override
                        public void close() {
                        }
                    };
                }
            }));
        }

        @Override
        public Optional<ModuleReference> find(String name) {
            return Optional.ofNullable(refs.get(name));
        }

        @Override
        public Set<ModuleReference> findAll() {
            return Set.copyOf(refs.values());
        }
    }

    @Test
    void aCollectedLoaderTakesItsRecordsAlongAndCheckedBytesCountWhileALoaderHoldsThemSo() throws Exception {
        byte[] checked = helper("carriedrec.c.Checked");
        byte[] unchecked = helper("carriedrec.c.Unchecked");
        String checkedDigest = Sha256.hex(checked);
        String uncheckedDigest = Sha256.hex(unchecked);
        URLClassLoader kept = webapp("kept", "carriedrec.c.Host");
        // the same checked bytes carried unchecked into a live loader count as checked there
        assertTrue(carry(kept, "carriedrec.c.Host", "carriedrec.c.Checked", checked, false));
        CarriedClasses.Uses uses = new CarriedClasses.Uses(List.of("carriedrec.c.Checked"), Set.of());
        assertNotNull(CarriedClasses.uncheckedUse(uses, ResolvingLoaders.forTarget(kept)));

        WeakReference<ClassLoader> gone = carriedIntoADroppedLoader(checked, unchecked);
        assertArrayEquals(new int[] {2, 1}, CarriedClasses.recordsOf(checkedDigest));
        assertArrayEquals(new int[] {1, 0}, CarriedClasses.recordsOf(uncheckedDigest));
        assertNull(CarriedClasses.uncheckedUse(uses, ResolvingLoaders.forTarget(kept)),
                "checked bytes in one live loader are checked code in another");

        for (int i = 0; i < 100 && gone.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertNull(gone.get(), "the dropped loader was not collected");
        assertArrayEquals(new int[] {1, 0}, CarriedClasses.recordsOf(checkedDigest), "its records go with it");
        assertArrayEquals(new int[] {0, 0}, CarriedClasses.recordsOf(uncheckedDigest), "its records go with it");
        assertNotNull(CarriedClasses.uncheckedUse(uses, ResolvingLoaders.forTarget(kept)),
                "checked by no loader alive, the bytes count as unchecked again");
        assertEquals(kept, Class.forName("carriedrec.c.Checked", false, kept).getClassLoader());
    }

    /**
     * Bytes carried unchecked into one loader, vouched for by a checked copy in another, are unchecked again once
     * that loader is collected: the gate every trust check passes first (anyUnchecked) says so. Before, the
     * count behind it fell to zero when the checked copy came and was recounted only while above zero, so the
     * checks of loads, enables and links were skipped while a use of the class was one uncheckedUse refuses
     * (VouchingCopyGoneDriver, in a fresh JVM: the records are the JVM's).
     */
    @Test
    void aCheckedCopyGoneLeavesItsUncheckedTwinCounted() throws Exception {
        ChildJvm.runOk(VouchingCopyGoneDriver.class, List.of(), List.of(dir.toString()), 120);
    }

    /**
     * The platform loader resolves a package of a named module on the module path in the application loader, its
     * child: a class carried unchecked there is one a patch class defined for a loader below the platform loader
     * can link to. ResolvingLoaders walked only ancestors, and found the application loader only as jlivepatch's
     * own; with jlivepatch on the boot class path the use was not counted (PlatformLoaderReachDriver, in a JVM
     * started so).
     */
    @Test
    void aClassCarriedIntoAModuleOnTheModulePathCountsForAPlatformLoadersChild() throws Exception {
        Path module = dir.resolve("carriedmod");
        PlatformLoaderReachDriver.writeModule(module);
        String boot = String.join(java.io.File.pathSeparator, location(CarriedClasses.class),
                location(ClassWriter.class), location(org.objectweb.asm.tree.ClassNode.class));
        ChildJvm.runOk(PlatformLoaderReachDriver.class, List.of("-Xbootclasspath/a:" + boot,
                "--module-path", module.toString(), "--add-modules", "carriedmod"), List.of(), 120);
    }

    private static String location(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    /** A loader that gets both classes carried into it, the first checked, dropped at the return. */
    private WeakReference<ClassLoader> carriedIntoADroppedLoader(byte[] checked, byte[] unchecked) throws Exception {
        URLClassLoader dropped = webapp("dropped", "carriedrec.c.Host");
        assertTrue(carry(dropped, "carriedrec.c.Host", "carriedrec.c.Checked", checked, true));
        assertTrue(carry(dropped, "carriedrec.c.Host", "carriedrec.c.Unchecked", unchecked, false));
        return new WeakReference<>(dropped);
    }

    /** A URL class loader under the application's of directory {@code root}, with class {@code host}. */
    private URLClassLoader webapp(String root, String host) throws Exception {
        Path file = dir.resolve(root).resolve(host.replace('.', '/') + ".class");
        Files.createDirectories(file.getParent());
        Files.write(file, GeneratedClasses.empty(host));
        return new URLClassLoader(root, new URL[] {dir.resolve(root).toUri().toURL()},
                ClassLoader.getSystemClassLoader());
    }

    private static boolean carry(ClassLoader loader, String host, String name, byte[] bytes, boolean checked)
            throws Exception {
        MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(Class.forName(host, false, loader),
                MethodHandles.lookup());
        return CarriedClasses.define(lookup, name, bytes, "carry-test", "jar-sha", checked);
    }

    /** A public class of one {@code public static Object value()} returning null. */
    static byte[] helper(String name) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, name.replace('.', '/'), null,
                "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "value", "()Ljava/lang/Object;",
                null, null);
        mv.visitCode();
        mv.visitInsn(Opcodes.ACONST_NULL);
        mv.visitInsn(Opcodes.ARETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }
}
