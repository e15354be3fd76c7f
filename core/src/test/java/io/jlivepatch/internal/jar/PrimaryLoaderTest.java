package io.jlivepatch.internal.jar;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.Opcodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * With no target loaded yet, the patch is prepared under the loader that would define the target: a
 * child that finds its class file only through its parent is not it. JDK 17 makes such children of the
 * application's loader for its reflection (DelegatingClassLoader, after a method is called reflectively
 * a few times), and one of them was taken as the child-most loader able to load the target.
 */
class PrimaryLoaderTest {

    private static final ClassLoader APP = PrimaryLoaderTest.class.getClassLoader();

    /** As the JDK's reflection DelegatingClassLoader: the application's loader's child, defining its own classes only. */
    private static final class Delegating extends ClassLoader {
        Delegating() {
            super(APP);
        }

        Class<?> accessor() {
            ClassWriter cw = new ClassWriter(0);
            cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, "primaryloader/Accessor", null,
                    "java/lang/Object", null);
            cw.visitEnd();
            byte[] b = cw.toByteArray();
            return defineClass("primaryloader.Accessor", b, 0, b.length);
        }
    }

    private static List<ReplacesScanner.Entry> replacing(String target) {
        return List.of(new ReplacesScanner.Entry("fix.Fix", target, "value", "()I", "value", "()I", false,
                new int[0], false));
    }

    @Test
    void aChildThatFindsTheTargetOnlyThroughItsParentIsNotThePatchsLoader() {
        Class<?> accessor = new Delegating().accessor();
        Class<?>[] all = {PrimaryLoaderTest.class, accessor}; // the delegating child's class last, as it comes later

        assertSame(APP, PatchJarLoader.primaryLoader(all, replacing("jarapp.NeverLoaded"), Map.of()),
                "the child-most loader that only delegates was taken");
    }

    /** A webapp's or a fat JAR's loader: child-first, the target's class file in a location of its own. */
    private static final class ChildFirst extends URLClassLoader {
        ChildFirst(Path dir) throws java.io.IOException {
            super(new URL[] {dir.toUri().toURL()}, APP);
        }

        @Override
        public URL getResource(String name) {
            URL own = findResource(name);
            return own != null ? own : super.getResource(name);
        }

        Class<?> own(String name) throws ClassNotFoundException {
            return findClass(name);
        }
    }

    @Test
    void aChildThatFindsTheTargetItselfIsStillTheChildMost(@TempDir Path dir) throws Exception {
        for (String c : new String[] {"jarapp/NeverLoaded.class", "jarapp/Untouched.class"}) {
            Path to = dir.resolve(c);
            Files.createDirectories(to.getParent());
            try (java.io.InputStream in = APP.getResourceAsStream(c)) {
                Files.write(to, in.readAllBytes());
            }
        }
        try (ChildFirst own = new ChildFirst(dir)) {
            Class<?> c = own.own("jarapp.Untouched");
            Class<?>[] all = {PrimaryLoaderTest.class, c};
            assertSame(own, PatchJarLoader.primaryLoader(all, replacing("jarapp.NeverLoaded"), Map.of()));
        }
    }
}
