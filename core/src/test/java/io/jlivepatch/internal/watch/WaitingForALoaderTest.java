package io.jlivepatch.internal.watch;

import io.jlivepatch.jar.GeneratedClasses;
import io.jlivepatch.jar.Jars;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A watched directory whose patch waits for the class loader of its target (a fat JAR's, a webapp's):
 * new class loaders that cannot read the target's class file (a Spring Boot start makes dozens) do
 * not make it retry, a retry refused again for the same reason is neither a WARNING nor an audit
 * entry again, and the loader that can read it has it loaded.
 */
class WaitingForALoaderTest {

    private static final String TARGET = "watchwait.Pricing";
    private static final String ANCHOR = "watchwait.Anchor";
    private static final String OTHER = "watchwait.other.Other";
    private static final String FIX = "watchwait.fix.PricingFix";

    @TempDir
    Path dir;

    private final List<URLClassLoader> loaders = new ArrayList<>();
    private PatchDirectoryWatch watch;

    @AfterEach
    void cleanUp() throws Exception {
        if (watch != null) {
            watch.stop();
        }
        for (URLClassLoader l : loaders) {
            l.close();
        }
        WatchFixture.removeAll();
    }

    /** A loader over {@code classes} below the platform loader (so it cannot see the test class path), not used yet. */
    private URLClassLoader loader(String name, Path classes) throws Exception {
        URLClassLoader l = new URLClassLoader(name, new URL[] {classes.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
        loaders.add(l);
        return l;
    }

    private static Path write(Path root, String className, byte[] bytes) throws Exception {
        Path file = root.resolve(className.replace('.', '/') + ".class");
        Files.createDirectories(file.getParent());
        return Files.write(file, bytes);
    }

    private static List<String> refusals(Instant from) {
        return WatchFixture.auditSince(from).stream().filter(e -> e.startsWith("load fix-wait by watch: refused")).toList();
    }

    private static long waits(Instant from, Path patches) {
        return WatchFixture.auditSince(from).stream().filter(e -> e.startsWith("reconcile " + patches
                + " by watch: waiting: ") && e.contains("waits for a class loader that can load its classes")).count();
    }

    @Test
    void onlyALoaderThatCanReadTheTargetMakesItRetryAndARepeatedRefusalIsQuiet() throws Exception {
        Path app = Files.createDirectories(dir.resolve("app"));
        write(app, TARGET, GeneratedClasses.target(TARGET, true, 0));
        write(app, ANCHOR, GeneratedClasses.empty(ANCHOR));
        Path other = Files.createDirectories(dir.resolve("other"));
        write(other, OTHER, GeneratedClasses.empty(OTHER));
        Path patches = Files.createDirectories(dir.resolve("patches"));
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(FIX.replace('.', '/') + ".class", GeneratedClasses.fix(FIX, TARGET));
        Jars.write(patches.resolve("10-fix-wait.jar"), Jars.manifest("fix-wait", FIX), entries);

        Instant from = Instant.now();
        watch = WatchFixture.watch(patches); // no thread: each step below is the test's own call
        watch.reconcile();
        assertTrue(watch.status().state().startsWith("waiting: ") && watch.status().state().contains(
                "waits for a class loader that can load its classes"), watch.status().toString());
        assertEquals(1, refusals(from).size(), "the first refusal is audited: " + WatchFixture.auditSince(from));
        assertEquals(1, waits(from, patches), "the reconcile's wait is on record: " + WatchFixture.auditSince(from));

        // Five class loaders that cannot read watchwait/Pricing.class define a class each.
        for (int i = 0; i < 5; i++) {
            loader("unrelated-" + i, other).loadClass(OTHER);
        }
        assertFalse(watch.newLoaderToRetry(), "no loader that can read the target appeared");
        // A retry anyway (the interval's) is refused for the same reason: not audited again.
        watch.reconcile();
        assertTrue(watch.status().state().startsWith("waiting: "), watch.status().toString());
        assertEquals(1, refusals(from).size(), WatchFixture.auditSince(from).toString());
        assertEquals(1, waits(from, patches), "a wait goes on record once: " + WatchFixture.auditSince(from));

        // The loader of the application: heard of before it has finished defining its first class (the
        // transformer reports it then), asked again once it has.
        URLClassLoader launched = loader("launched-watch", app);
        watch.arriving.watcher().accept(launched);
        assertFalse(watch.newLoaderToRetry(), "a loader with no class defined yet is not one a patch can be loaded under");
        launched.loadClass(ANCHOR);
        assertTrue(watch.newLoaderToRetry(), "the loader that can read the target has defined a class");
        watch.reconcile();
        assertTrue(watch.status().state().startsWith("converged"), watch.status().toString());
        Object pricing = launched.loadClass(TARGET).getConstructor().newInstance();
        assertEquals(70, (int) pricing.getClass().getMethod("quote", int.class).invoke(pricing, 7));
        assertEquals(1, refusals(from).size(), WatchFixture.auditSince(from).toString());
        assertTrue(WatchFixture.auditSince(from).contains("load fix-wait by watch: ok (registered, enabled)"),
                WatchFixture.auditSince(from).toString());
    }
}
