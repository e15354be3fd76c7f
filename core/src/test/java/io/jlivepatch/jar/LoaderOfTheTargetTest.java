package io.jlivepatch.jar;

import io.jlivepatch.PatchHandle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A patch JAR whose target class is not loaded yet, in an application whose classes the system
 * class loader cannot see (a Spring Boot fat JAR's LaunchedClassLoader, a webapp's loader): the
 * patch's classes are defined under the loader that can load the target, not the system loader
 * (where they failed with NoClassDefFoundError), and the class is patched in that loader.
 */
class LoaderOfTheTargetTest {

    private static final String TARGET = "fatonly.Pricing";
    private static final String ANCHOR = "fatonly.Anchor";
    private static final String FIX = "fatonly.fix.PricingFix";

    @TempDir
    Path dir;

    @AfterEach
    void cleanUp() throws Exception {
        Jars.removeAll();
    }

    /** {@code public class <name> { public int quote(int n) { return n; } }}, or an empty class. */
    private static byte[] appClass(String name, boolean withQuote) {
        return GeneratedClasses.target(name, withQuote, 0);
    }

    /** {@code @Replaces(target = Pricing, method = "quote") public static int quote(Pricing self, int n) { return n * 10; }} */
    private static byte[] fixClass() {
        return GeneratedClasses.fix(FIX, TARGET);
    }

    @Test
    void aTargetOnlyAnApplicationLoaderCanLoadIsPatchedThere() throws Exception {
        Path classes = Files.createDirectories(dir.resolve("app/fatonly"));
        Files.write(classes.resolve("Pricing.class"), appClass(TARGET, true));
        Files.write(classes.resolve("Anchor.class"), appClass(ANCHOR, false));
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(FIX.replace('.', '/') + ".class", fixClass());
        Path jar = Jars.write(dir.resolve("fix-fat.jar"), Jars.manifest("fix-fat", FIX), entries);

        // The application's loader: its parent (the platform loader) cannot see its classes, as the
        // system loader cannot see a fat JAR's.
        try (URLClassLoader app = new URLClassLoader("launched", new URL[] {dir.resolve("app").toUri().toURL()},
                ClassLoader.getPlatformClassLoader())) {
            app.loadClass(ANCHOR); // the application runs: its loader has classes; Pricing is not loaded yet
            assertThrows(ClassNotFoundException.class, () -> Class.forName(TARGET, false,
                    ClassLoader.getSystemClassLoader()), "the system loader cannot see the target");

            PatchHandle h = Jars.lp().load(jar);
            h.enable();
            assertTrue(h.awaitTransition(java.time.Duration.ofSeconds(10)));

            Object pricing = app.loadClass(TARGET).getConstructor().newInstance();
            assertEquals(70, (int) pricing.getClass().getMethod("quote", int.class).invoke(pricing, 7));
            io.jlivepatch.FunctionStatus.LoaderStatus where = h.functions().get(0).loaders().get(0);
            assertTrue(where.classLoader().startsWith("launched@"), where.toString());
            assertEquals(io.jlivepatch.FunctionStatus.State.PATCHED, where.state(), where.toString());
        }
    }

    /** A webapp's loader as a servlet container makes one: its own classes, the platform loader above. */
    private URLClassLoader webapp(String name, boolean withQuote) throws Exception {
        Path classes = Files.createDirectories(dir.resolve(name + "/webapps"));
        Files.write(classes.resolve("Pricing.class"), appClass("webapps.Pricing", withQuote));
        Files.write(classes.resolve("Anchor.class"), appClass("webapps.Anchor", false));
        URLClassLoader l = new URLClassLoader(name, new URL[] {dir.resolve(name).toUri().toURL()},
                ClassLoader.getPlatformClassLoader());
        l.loadClass("webapps.Anchor"); // deployed: its loader has defined a class
        return l;
    }

    @Test
    void eachWebappLoaderThatDefinesTheTargetLaterIsPatchedInItsOwnCopyOrSaysWhyNot() throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("webapps/fix/PricingFix.class", GeneratedClasses.fix("webapps.fix.PricingFix", "webapps.Pricing"));
        Path jar = Jars.write(dir.resolve("fix-webapps.jar"), Jars.manifest("fix-webapps", "webapps.fix.PricingFix"),
                entries);
        try (URLClassLoader a = webapp("webapp-a", true); URLClassLoader b = webapp("webapp-b", true);
             URLClassLoader old = webapp("webapp-old", false)) {
            PatchHandle h = Jars.lp().load(jar);
            h.enable();
            assertTrue(h.awaitTransition(java.time.Duration.ofSeconds(10)));
            for (URLClassLoader l : new URLClassLoader[] {a, b}) {
                Object pricing = l.loadClass("webapps.Pricing").getConstructor().newInstance();
                assertEquals(70, (int) pricing.getClass().getMethod("quote", int.class).invoke(pricing, 7),
                        "patched in " + l.getName());
            }
            old.loadClass("webapps.Pricing").getConstructor().newInstance(); // a version without quote(int)
            java.util.List<io.jlivepatch.FunctionStatus.LoaderStatus> where = h.functions().get(0).loaders();
            assertEquals(3, where.size(), where.toString());
            for (io.jlivepatch.FunctionStatus.LoaderStatus l : where) {
                if (l.classLoader().startsWith("webapp-old@")) {
                    assertEquals(io.jlivepatch.FunctionStatus.State.FAILED, l.state(), l.toString());
                    assertTrue(l.detail().contains("does not declare"), l.toString());
                } else {
                    assertEquals(io.jlivepatch.FunctionStatus.State.PATCHED, l.state(), l.toString());
                }
            }
        }
    }
}
