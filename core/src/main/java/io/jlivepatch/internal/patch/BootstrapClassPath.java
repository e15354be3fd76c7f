package io.jlivepatch.internal.patch;

import io.jlivepatch.internal.Log;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
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
            PrologueInjector.DISPATCH + "$Sites", PrologueInjector.DISPATCH + "$Calls",
            PrologueInjector.DISPATCH + "$SignatureTypes",
            "io/jlivepatch/internal/bootstrap/Recursion",
            "io/jlivepatch/internal/bootstrap/Recursion$Calls",
            "io/jlivepatch/internal/bootstrap/StackRoom",
            "io/jlivepatch/internal/bootstrap/ShadowStore", "io/jlivepatch/internal/bootstrap/ShadowStore$Entry",
            "io/jlivepatch/internal/bootstrap/ShadowStore$Stripe", "io/jlivepatch/Shadow");

    /** The boot loader's copy of Dispatch, appending the classes first if they are not there yet. */
    static Class<?> dispatchClass(Instrumentation inst) {
        append(inst);
        try {
            return Class.forName(DISPATCH, true, null);
        } catch (ClassNotFoundException e) {
            throw cannotAppend(e);
        }
    }

    /**
     * What a boot class's {@code calls()} returns ({@code Dispatch.calls}, {@code Recursion.calls}): its
     * operations as the JDK's functional interfaces, for jlivepatch's code, which must not name the class.
     *
     * @throws ReflectiveOperationException when the class has no such method (another jlivepatch's copy)
     */
    static Object callsOf(Class<?> bootClass) throws ReflectiveOperationException {
        MethodHandle calls = MethodHandles.publicLookup().findStatic(bootClass, "calls",
                MethodType.methodType(Object.class));
        try {
            return (Object) calls.invokeExact();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t); // cannot happen: calls() declares nothing
        }
    }

    /**
     * Whether the dispatch classes are on the bootstrap class path already: put there by this copy
     * of jlivepatch, or by another one. Looks without loading or initializing anything.
     */
    static boolean appended() {
        try {
            Class.forName(DISPATCH, false, null);
            return true;
        } catch (ClassNotFoundException notYet) {
            return false;
        }
    }

    /**
     * Appends the bootstrap package (and {@code io.jlivepatch.Shadow}) to the bootstrap class path,
     * unless it is there already. Loads none of its classes.
     *
     * @throws IllegalStateException when the JAR cannot be written
     */
    static void append(Instrumentation inst) {
        if (appended()) {
            return;
        }
        try {
            byte[] jarBytes = StoredJar.of(classFiles());
            Path dir = PrivateTempDir.open();
            // Named by the pid, for the clean-up below, and the time rather than by Files.createTempFile
            // (SecureRandom costs every application's start-up); joined with String.concat, as + would
            // spin method handles for each new shape.
            String owner = PREFIX.concat(Long.toString(PrivateTempDir.currentPid())).concat("-");
            Path jar = null;
            for (int attempt = 0; jar == null; attempt++) {
                Path candidate = dir.resolve(owner.concat(Long.toHexString(System.nanoTime())).concat(".jar"));
                // Removed at a normal exit; after kill -9 or a crash, by the next JVM to get here. Asked
                // before the write: a JVM that ends while its installation runs aside of main
                // (BackgroundInstall) leaves no JAR either. The name is this JVM's own (its pid).
                candidate.toFile().deleteOnExit();
                try {
                    Files.write(candidate, jarBytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    jar = candidate;
                } catch (java.nio.file.FileAlreadyExistsException taken) {
                    if (attempt > 100) {
                        throw taken;
                    }
                }
            }
            try {
                PrivateTempDir.removeStale(dir, PREFIX);
            } catch (IOException e) {
                Log.get().log(System.Logger.Level.WARNING, "leftover boot JARs of ended JVMs in {0} stay: {1}", dir, e);
            }
            inst.appendToBootstrapClassLoaderSearch(new JarFile(jar.toFile()));
        } catch (IOException e) {
            throw cannotAppend(e);
        }
    }

    private static IllegalStateException cannotAppend(Exception e) {
        return new IllegalStateException("jlivepatch cannot put its dispatch classes on the bootstrap class path: "
                + e.getMessage() + " (" + e.getClass().getSimpleName() + "); check that jlivepatch's directory in"
                + " the temporary directory (java.io.tmpdir) can be written by this JVM's user only", e);
    }

    /**
     * The class files of {@link #CLASSES}, by entry name. From jlivepatch's own JAR when it runs from
     * one, read as a {@link JarFile} (whose zip the application class loader has open already): the
     * resource lookup, through {@code jar:} URLs, loads and runs a dozen classes more at every start-up.
     */
    private static Map<String, byte[]> classFiles() throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        Path own = ownJar();
        if (own != null) {
            try (JarFile jar = new JarFile(own.toFile(), false)) {
                for (String internalName : CLASSES) {
                    String name = internalName.concat(".class");
                    java.util.jar.JarEntry e = jar.getJarEntry(name);
                    if (e == null) {
                        throw new IOException(name + " is missing from jlivepatch's JAR " + own);
                    }
                    try (InputStream in = jar.getInputStream(e)) {
                        entries.put(name, in.readAllBytes());
                    }
                }
            }
            return entries;
        }
        for (String internalName : CLASSES) {
            entries.put(internalName.concat(".class"), read(internalName));
        }
        return entries;
    }

    /** The JAR jlivepatch's classes come from, or {@code null} (a class directory, or unknown). */
    private static Path ownJar() {
        try {
            java.security.CodeSource source = BootstrapClassPath.class.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null || !"file".equals(source.getLocation().getProtocol())) {
                return null;
            }
            Path p = Path.of(source.getLocation().toURI());
            return Files.isRegularFile(p) ? p : null;
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return null; // the resources below serve as well, only slower
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
