package com.acme.files;

import io.jlivepatch.Replaces;
import io.jlivepatch.internal.jar.PatchJar;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.jar.Attributes;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The patch JAR and the service JAR as Maven built them (run by failsafe, after {@code package}):
 * the patch JAR is what {@code jlivepatch load} expects, and the service does not carry the fix.
 */
class PatchJarIT {

    private static final Path PATCH_JAR = Paths.get(System.getProperty("demo.patch.jar"));
    private static final Path SERVICE_JAR = Paths.get(System.getProperty("demo.service.jar"));
    private static final String FIX_CLASS = "com.acme.files.fix.ResolveFix";

    @Test
    void theManifestNamesThePatchAndItsClass() throws Exception {
        assertTrue(Files.isRegularFile(PATCH_JAR), PATCH_JAR + " was not built");
        try (JarFile jar = new JarFile(PATCH_JAR.toFile())) {
            Attributes main = jar.getManifest().getMainAttributes();
            assertEquals("fix-traversal", main.getValue("Livepatch-Name"));
            assertEquals(FIX_CLASS, main.getValue("Livepatch-Class"));
            assertFalse(main.getValue("Livepatch-Description").isBlank());
            assertNotNull(jar.getEntry(FIX_CLASS.replace('.', '/') + ".class"), "the JAR holds the class it names");
            assertTrue(jar.stream().filter(e -> e.getName().endsWith(".class"))
                    .allMatch(e -> e.getName().startsWith("com/acme/files/fix/")), "only the fix is in the patch JAR");
        }
    }

    @Test
    void theClassInTheJarCarriesReplacesOnResolve() throws Exception {
        try (URLClassLoader fromJar = new PatchClassesFirst(PATCH_JAR.toUri().toURL(), getClass().getClassLoader())) {
            Class<?> fix = fromJar.loadClass(FIX_CLASS);
            assertSame(fromJar, fix.getClassLoader(), "the class must come from the patch JAR");
            Method m = fix.getMethod("resolve", FileStore.class, String.class);
            assertTrue(Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers()), m + " is public static");
            assertEquals(Path.class, m.getReturnType());
            Replaces r = m.getAnnotation(Replaces.class);
            assertNotNull(r, m + " carries @Replaces");
            assertEquals(FileStore.class.getName(), r.target());
            assertEquals("resolve", r.method());
            // The descriptor is left out, which is allowed only while the name is unique in the target.
            assertEquals("", r.descriptor());
            assertEquals(1, Arrays.stream(FileStore.class.getDeclaredMethods())
                    .filter(d -> d.getName().equals("resolve")).count());
        }
    }

    @Test
    void jlivepatchReadsTheJarAsTheLoadCommandDoes() throws Exception {
        PatchJar jar = PatchJar.read(PATCH_JAR);
        assertEquals("fix-traversal", jar.name());
        assertEquals(FIX_CLASS, jar.patchClass());
        assertTrue(jar.description().contains("FileStore.resolve"), jar.description());
    }

    @Test
    void theServiceJarDoesNotCarryTheFix() throws Exception {
        try (JarFile jar = new JarFile(SERVICE_JAR.toFile())) {
            assertNotNull(jar.getEntry("com/acme/files/FileService.class"));
            assertTrue(jar.stream().noneMatch(e -> e.getName().startsWith("com/acme/files/fix/")),
                    "the service gets the fix only from the patch JAR");
        }
    }

    /** Loads the fix from the JAR even though the test class path has a copy of it too. */
    private static final class PatchClassesFirst extends URLClassLoader {
        PatchClassesFirst(URL jar, ClassLoader parent) {
            super(new URL[] {jar}, parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith("com.acme.files.fix.")) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                return c != null ? c : findClass(name);
            }
        }
    }
}
