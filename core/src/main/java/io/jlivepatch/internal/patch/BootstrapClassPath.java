package io.jlivepatch.internal.patch;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * Puts the dispatch classes on the bootstrap class path, so that hooked classes of every class
 * loader, the JDK's included, link the same copy. The class files are taken from jlivepatch's own
 * JAR (Dispatch and its nested classes, found from its InnerClasses attribute) and written to a
 * temporary JAR that the JVM appends to its bootstrap search.
 */
final class BootstrapClassPath {

    static final String DISPATCH = PrologueInjector.DISPATCH.replace('/', '.');

    private BootstrapClassPath() {
    }

    /** The boot loader's copy of Dispatch, appending the classes first if they are not there yet. */
    static Class<?> dispatchClass(Instrumentation inst) {
        try {
            return Class.forName(DISPATCH, true, null);
        } catch (ClassNotFoundException notYet) {
            // appended below
        }
        try {
            Path jar = Files.createTempFile("jlivepatch-boot-", ".jar");
            jar.toFile().deleteOnExit();
            try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out)) {
                for (String internalName : classesOf(PrologueInjector.DISPATCH)) {
                    jos.putNextEntry(new JarEntry(internalName + ".class"));
                    jos.write(read(internalName));
                    jos.closeEntry();
                }
            }
            inst.appendToBootstrapClassLoaderSearch(new JarFile(jar.toFile()));
            return Class.forName(DISPATCH, true, null);
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException("jlivepatch cannot put its dispatch classes on the bootstrap class path: "
                    + e + "; check that the temporary directory (java.io.tmpdir) is writable", e);
        }
    }

    /** {@code root} and every class nested in it. */
    private static Set<String> classesOf(String root) throws IOException {
        Set<String> all = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>();
        todo.add(root);
        while (!todo.isEmpty()) {
            String name = todo.poll();
            if (!all.add(name)) {
                continue;
            }
            new ClassReader(read(name)).accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public void visitInnerClass(String inner, String outer, String simple, int access) {
                    if (inner.startsWith(root + "$")) {
                        todo.add(inner);
                    }
                }
            }, ClassReader.SKIP_CODE);
        }
        return all;
    }

    private static byte[] read(String internalName) throws IOException {
        ClassLoader own = BootstrapClassPath.class.getClassLoader();
        if (own == null) {
            own = ClassLoader.getSystemClassLoader();
        }
        try (InputStream in = own.getResourceAsStream(internalName + ".class")) {
            if (in == null) {
                throw new IOException(internalName + ".class is missing from jlivepatch's own classes");
            }
            return in.readAllBytes();
        }
    }
}
