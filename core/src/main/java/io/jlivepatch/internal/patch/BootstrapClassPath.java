package io.jlivepatch.internal.patch;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;

/**
 * Puts the dispatch classes on the bootstrap class path, so that hooked classes of every class
 * loader, the JDK's included, link the same copy. The class files are taken from jlivepatch's own
 * JAR and written to a temporary JAR that the JVM appends to its bootstrap search.
 */
final class BootstrapClassPath {

    static final String DISPATCH = PrologueInjector.DISPATCH.replace('/', '.');

    private BootstrapClassPath() {
    }

    /**
     * Dispatch and its nested classes. Listed rather than found with ASM, to keep ASM out of every
     * application's start-up; a test checks the list against Dispatch's nest members.
     */
    static final List<String> CLASSES = List.of(PrologueInjector.DISPATCH, PrologueInjector.DISPATCH + "$1",
            PrologueInjector.DISPATCH + "$Sites", "io/jlivepatch/internal/bootstrap/Recursion");

    /** The boot loader's copy of Dispatch, appending the classes first if they are not there yet. */
    static Class<?> dispatchClass(Instrumentation inst) {
        try {
            return Class.forName(DISPATCH, true, null);
        } catch (ClassNotFoundException notYet) {
            // appended below
        }
        try {
            Map<String, byte[]> entries = new LinkedHashMap<>();
            for (String internalName : CLASSES) {
                entries.put(internalName + ".class", read(internalName));
            }
            byte[] jarBytes = StoredJar.of(entries);
            // Named by time rather than by Files.createTempFile (SecureRandom) or the pid (ProcessHandle
            // starts a thread pool): both cost every application's start-up.
            Path dir = Paths.get(System.getProperty("java.io.tmpdir"));
            Path jar = null;
            for (int attempt = 0; jar == null; attempt++) {
                Path candidate = dir.resolve("jlivepatch-boot-" + Long.toHexString(System.nanoTime()) + ".jar");
                try {
                    Files.write(candidate, jarBytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    jar = candidate;
                } catch (java.nio.file.FileAlreadyExistsException taken) {
                    if (attempt > 100) {
                        throw taken;
                    }
                }
            }
            jar.toFile().deleteOnExit();
            inst.appendToBootstrapClassLoaderSearch(new JarFile(jar.toFile()));
            return Class.forName(DISPATCH, true, null);
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException("jlivepatch cannot put its dispatch classes on the bootstrap class path: "
                    + e + "; check that the temporary directory (java.io.tmpdir) is writable", e);
        }
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
