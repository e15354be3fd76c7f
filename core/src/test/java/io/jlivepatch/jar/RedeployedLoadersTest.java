package io.jlivepatch.jar;

import io.jlivepatch.PatchHandle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.ref.WeakReference;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A webapp or plugin redeployed while a patch of its class stays enabled: each deployment is a new
 * class loader that defines the target class, gets its own copy of the patch's classes, runs the
 * patched code, and is dropped. The dropped loaders must be collected while the patch stays: a copy
 * of a patch class keeps its target loader alive (a patch class loader's parent, a hidden nestmate's
 * defining loader), so a map of jlivepatch's keyed weakly by that loader never let go of it, and
 * a service redeploying a plugin every few milliseconds died of {@code OutOfMemoryError: Metaspace}
 * after about 1,500 deployments (hostile trial: 20 MB of metaspace, a patch from a start-up directory).
 */
class RedeployedLoadersTest {

    private static final String TARGET = "redeploy.Pricing";
    private static final String FIX = "redeploy.fix.PricingFix";
    /** A nestmate must be in its host's package. */
    private static final String NESTMATE_FIX = "redeploy.PricingFix";
    private static final int DEPLOYMENTS = 30;

    @TempDir
    Path dir;

    @AfterEach
    void cleanUp() throws Exception {
        Jars.removeAll();
    }

    @Test
    void droppedLoadersAreCollectedWhileAPatchClassLoaderPatchStaysEnabled() throws Exception {
        assertCollectedWhileEnabled(FIX, false);
    }

    @Test
    void droppedLoadersAreCollectedWhileANestmatePatchStaysEnabled() throws Exception {
        assertCollectedWhileEnabled(NESTMATE_FIX, true);
    }

    private void assertCollectedWhileEnabled(String fix, boolean nestmate) throws Exception {
        Path app = Files.createDirectories(dir.resolve("app/redeploy"));
        Files.write(app.resolve("Pricing.class"), GeneratedClasses.target(TARGET, true, 0));
        Map<String, String> manifest = Jars.manifest("fix-redeploy", fix);
        if (nestmate) {
            manifest.put("Livepatch-Nestmates", fix + "=" + TARGET);
        }
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(fix.replace('.', '/') + ".class", GeneratedClasses.fix(fix, TARGET));
        Path jar = Jars.write(dir.resolve("fix-redeploy.jar"), manifest, entries);
        URL classes = dir.resolve("app").toUri().toURL();

        List<WeakReference<ClassLoader>> dropped = new ArrayList<>();
        WeakReference<ClassLoader> prepared;
        PatchHandle h;
        // The first deployment is there when the patch loads (its copy is the one prepared at load).
        try (URLClassLoader first = new URLClassLoader("webapp-0", new URL[] {classes},
                ClassLoader.getPlatformClassLoader())) {
            assertEquals(7, quote(first, 7), "before the patch");
            h = Jars.lp().load(jar);
            h.enable();
            assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
            assertEquals(70, quote(first, 7), "deployment 0, patched");
            prepared = new WeakReference<>(first);
        }
        for (int i = 1; i <= DEPLOYMENTS; i++) {
            dropped.add(deployAndDrop(classes, i));
        }
        assertTrue(h.isEnabled());
        int alive = alive(dropped);
        assertEquals(0, alive, alive + " of " + dropped.size() + " dropped loaders are still reachable while the patch"
                + " is enabled: jlivepatch keeps them");

        // The deployment the patch was loaded with stays while the patch does (its description's
        // Methods are that copy's: README, Known limits), and goes with it.
        h.disable();
        h.unregister();
        h = null; // the handle holds the description
        assertEquals(0, alive(List.of(prepared)), "the deployment the patch was prepared with, once it is unregistered");
    }

    @Test
    void aLoadRefusedAfterItsClassesWereDefinedKeepsNoLoader() throws Exception {
        // Refused at registration, after preparing defined the patch's classes for the deployment's
        // loader: nothing the refusal leaves (the prepared sources, the audit record, the log) may keep
        // that loader. (The registry also releases the sources; this passes without that too, since the
        // per-loader copies hang off the loader's own class, so it guards the outcome, not the release.)
        Path app = Files.createDirectories(dir.resolve("app/redeploy"));
        Files.write(app.resolve("Pricing.class"), GeneratedClasses.target(TARGET, true, 0));
        for (String fix : List.of(FIX, NESTMATE_FIX)) {
            Map<String, String> manifest = Jars.manifest("refused-redeploy", fix);
            if (fix.equals(NESTMATE_FIX)) {
                manifest.put("Livepatch-Nestmates", fix + "=" + TARGET);
            }
            manifest.put("Livepatch-Hold", TARGET + ".absent()V");
            Path jar = Jars.write(dir.resolve(fix + ".jar"), manifest,
                    Map.of(fix.replace('.', '/') + ".class", GeneratedClasses.fix(fix, TARGET)));
            WeakReference<ClassLoader> deployment = refusedWhileDeployed(dir.resolve("app").toUri().toURL(), jar);
            assertEquals(0, alive(List.of(deployment)), fix + ": the deployment a refused load prepared under is kept");
        }
    }

    private static WeakReference<ClassLoader> refusedWhileDeployed(URL classes, Path jar) throws Exception {
        try (URLClassLoader l = new URLClassLoader("webapp-refused", new URL[] {classes},
                ClassLoader.getPlatformClassLoader())) {
            assertEquals(7, quote(l, 7));
            io.jlivepatch.PatchException e = org.junit.jupiter.api.Assertions.assertThrows(
                    io.jlivepatch.PatchException.class, () -> Jars.lp().load(jar));
            assertEquals(io.jlivepatch.PatchException.Reason.TARGET_NOT_FOUND, e.reason(), e.getMessage());
            assertEquals(7, quote(l, 7), "unpatched after the refusal");
            return new WeakReference<>(l);
        }
    }

    /** A deployment: a new loader defines the target, its patched method runs, and the loader is dropped. */
    private static WeakReference<ClassLoader> deployAndDrop(URL classes, int i) throws Exception {
        try (URLClassLoader l = new URLClassLoader("webapp-" + i, new URL[] {classes},
                ClassLoader.getPlatformClassLoader())) {
            assertEquals(70, quote(l, 7), "deployment " + i + ", patched when defined");
            return new WeakReference<>(l);
        }
    }

    private static int quote(ClassLoader l, int n) throws Exception {
        Object pricing = l.loadClass(TARGET).getConstructor().newInstance();
        return (int) pricing.getClass().getMethod("quote", int.class).invoke(pricing, n);
    }

    private static int alive(List<WeakReference<ClassLoader>> refs) throws InterruptedException {
        int alive = refs.size();
        for (int i = 0; i < 50 && alive > 0; i++) {
            System.gc();
            Thread.sleep(20);
            alive = 0;
            for (WeakReference<ClassLoader> r : refs) {
                if (r.get() != null) {
                    alive++;
                }
            }
        }
        return alive;
    }
}
