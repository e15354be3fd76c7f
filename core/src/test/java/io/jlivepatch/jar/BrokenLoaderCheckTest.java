package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.PatchException.Reason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The check of the class a built patch was made from reads the running class file from the target's
 * class loader. When that loader fails (a closed or broken loader's {@code getResourceAsStream} may
 * throw), the load is refused saying the application's loader failed, and the running application is
 * left as it was; it was refused as a JAR that "cannot be read as a patch", blaming the JAR.
 */
class BrokenLoaderCheckTest {

    private static final String TARGET = "brokenres.Pricing";
    private static final String FIX = "brokenres.fix.PricingFix";

    @TempDir
    Path dir;

    @AfterEach
    void cleanUp() throws Exception {
        Jars.removeAll();
    }

    /** Loads classes as a URLClassLoader does; its resources fail as a broken loader's do. */
    private static final class BrokenResources extends URLClassLoader {
        BrokenResources(URL classes) {
            super("broken-resources", new URL[] {classes}, ClassLoader.getPlatformClassLoader());
        }

        @Override
        public InputStream getResourceAsStream(String name) {
            throw new IllegalStateException("this loader's resources are gone");
        }
    }

    @Test
    void aTargetLoaderThatFailsToServeTheRunningClassFileIsNamedInTheRefusal() throws Exception {
        Path app = Files.createDirectories(dir.resolve("app/brokenres"));
        Files.write(app.resolve("Pricing.class"), GeneratedClasses.target(TARGET, true, 0));
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(FIX.replace('.', '/') + ".class", GeneratedClasses.fix(FIX, TARGET));
        // Built against some version of the target: the check must read the running class file.
        entries.put("META-INF/jlivepatch/old-classes.properties",
                (TARGET + "=" + "0".repeat(64) + "\n").getBytes(StandardCharsets.ISO_8859_1));
        Path jar = Jars.write(dir.resolve("fix-broken.jar"), Jars.manifest("fix-broken", FIX), entries);

        try (BrokenResources loader = new BrokenResources(dir.resolve("app").toUri().toURL())) {
            Object pricing = loader.loadClass(TARGET).getConstructor().newInstance();
            assertEquals(7, quote(pricing, 7), "before the load");

            PatchException refused = assertThrows(PatchException.class, () -> Jars.lp().load(jar));

            assertEquals(Reason.SIGNATURE_MISMATCH, refused.reason(), refused.getMessage());
            assertTrue(refused.getMessage().contains("it was built against a version of " + TARGET + " and the"
                    + " running application's class file cannot be read to check it (loader broken-resources, which"
                    + " failed: java.lang.IllegalStateException: this loader's resources are gone)"),
                    refused.getMessage());
            assertEquals(List.of(), Jars.lp().patches(), "nothing registered");
            assertEquals(7, quote(pricing, 7), "the application as it was");
        }
    }

    private static int quote(Object pricing, int n) throws Exception {
        return (int) pricing.getClass().getMethod("quote", int.class).invoke(pricing, n);
    }
}
