package io.jlivepatch.internal.patch;

import io.jlivepatch.internal.Log;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;

/**
 * Puts the dispatch classes on the bootstrap class path, so that hooked classes of every class
 * loader, the JDK's included, link the same copy. The class files are taken from jlivepatch's own
 * JAR and written to a temporary JAR, in a directory private to the JVM's user, that the JVM appends
 * to its bootstrap search.
 */
final class BootstrapClassPath {

    static final String DISPATCH = PrologueInjector.DISPATCH.replace('/', '.');

    /** The boot JARs' names in jlivepatch's {@link PrivateTempDir}: {@code jlivepatch-boot-<pid>-<time>.jar}. */
    static final String PREFIX = "jlivepatch-boot-";

    private BootstrapClassPath() {
    }

    /**
     * Every class of the bootstrap package, nested ones included, and {@code io.jlivepatch.Shadow},
     * whose store must be one per JVM (every loader asks the boot loader first, once the JAR is
     * appended; core never names Shadow, so the application loader has no copy of its own by then).
     * Listed rather than found with ASM, to keep ASM out of every application's start-up; a test
     * checks the list against the package.
     */
    static final List<String> CLASSES = List.of(PrologueInjector.DISPATCH, PrologueInjector.DISPATCH + "$1",
            PrologueInjector.DISPATCH + "$Sites", "io/jlivepatch/internal/bootstrap/Recursion",
            "io/jlivepatch/internal/bootstrap/ShadowStore", "io/jlivepatch/internal/bootstrap/ShadowStore$Entry",
            "io/jlivepatch/internal/bootstrap/ShadowStore$Stripe", "io/jlivepatch/Shadow");

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
            Path dir = PrivateTempDir.open();
            // Named by the pid, for the clean-up below, and the time rather than by Files.createTempFile
            // (SecureRandom costs every application's start-up); joined with String.concat, as + would
            // spin method handles for each new shape.
            String owner = PREFIX.concat(Long.toString(PrivateTempDir.currentPid())).concat("-");
            Path jar = null;
            for (int attempt = 0; jar == null; attempt++) {
                Path candidate = dir.resolve(owner.concat(Long.toHexString(System.nanoTime())).concat(".jar"));
                try {
                    Files.write(candidate, jarBytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    jar = candidate;
                } catch (java.nio.file.FileAlreadyExistsException taken) {
                    if (attempt > 100) {
                        throw taken;
                    }
                }
            }
            // Removed at a normal exit; after kill -9 or a crash, by the next JVM to get here.
            jar.toFile().deleteOnExit();
            try {
                PrivateTempDir.removeStale(dir, PREFIX);
            } catch (IOException e) {
                Log.get().log(System.Logger.Level.WARNING, "leftover boot JARs of ended JVMs in {0} stay: {1}", dir, e);
            }
            inst.appendToBootstrapClassLoaderSearch(new JarFile(jar.toFile()));
            return Class.forName(DISPATCH, true, null);
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException("jlivepatch cannot put its dispatch classes on the bootstrap class path: "
                    + e.getMessage() + " (" + e.getClass().getSimpleName() + "); check that jlivepatch's directory in"
                    + " the temporary directory (java.io.tmpdir) can be written by this JVM's user only", e);
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
