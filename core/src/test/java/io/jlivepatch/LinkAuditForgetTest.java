package io.jlivepatch;

import io.jlivepatch.internal.core.AuditLog;
import io.jlivepatch.jar.Jars;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import testapp.lateaudit.AuditedLater;

import java.lang.ref.WeakReference;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The link audit remembers what it wrote (per registration, class loader and class) so as to write
 * each record once; it forgets what can no longer recur, so that a JVM that registers and
 * unregisters patches for months, or makes class loaders for ever, does not keep it all. Before, an
 * unregistered patch's keys stayed for the JVM's life, and then its counts of the loaders that defined a class
 * hooked (AppliedLater, bounded: once full, a new patch's counts were cleared with the old ones).
 */
class LinkAuditForgetTest {

    private static final String LATER = AuditedLater.class.getName();
    private static final String FORGOTTEN = "testapp.lateaudit.AuditedForgotten";
    private static final String FIX = "testapp.lateaudit.fix.ForgottenFix";

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    private static long[] remembered(String patch) {
        return RegistryAccess.get().linkAuditedForTests(patch);
    }

    /**
     * Waits until the audit remembers {@code expected} for {@code patch}: its thread forgets once it has
     * written what was queued. A hang detector, not a timing: the verdict is the value after the loop.
     */
    private static long[] awaitRemembered(String patch, long[] expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!Arrays.equals(remembered(patch), expected) && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
        }
        return remembered(patch);
    }

    @SuppressWarnings("unchecked")
    private static String get(Class<?> c) throws ReflectiveOperationException {
        return ((Supplier<String>) c.getDeclaredConstructor().newInstance()).get();
    }

    private static PatchHandle registered(String name) throws PatchException, InterruptedException {
        PatchHandle h = livepatch().register(Patch.builder(name)
                .replace(method(AuditedLater.class, "get"), method(LateLoaderAuditTest.class, "fits", Object.class))
                .build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
        return h;
    }

    @Test
    void whatWasAuditedForAnUnregisteredPatchIsForgottenAndEachRegistrationHasItsRecordsOnce() throws Exception {
        String name = "audit-forget-unregistered";
        // Every loader is kept: only the unregistration may let go of what was audited in it.
        List<IsolatingLoader> kept = new ArrayList<>();
        assertArrayEquals(new long[] {0, 0, 0}, remembered(name));
        for (int cycle = 1; cycle <= 3; cycle++) {
            PatchHandle h = registered(name);
            IsolatingLoader loader = IsolatingLoader.of("audit-forget-" + cycle, LATER);
            kept.add(loader);
            assertEquals("fits", get(loader.define(LATER)), "cycle " + cycle);
            assertEquals(cycle, LateLoaderAuditTest.awaitLinkEntries(name, cycle).size(), "cycle " + cycle);
            assertArrayEquals(new long[] {1, 1, 1}, remembered(name), "one registration, one loader, one class, and"
                    + " its count of the loaders that defined the class hooked (AppliedLater)");
            h.disable();
            assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
            h.unregister();
            assertArrayEquals(new long[] {0, 0, 0}, awaitRemembered(name, new long[] {0, 0, 0}),
                    "cycle " + cycle + ": the unregistered patch's keys and counts are forgotten");
        }
        List<AuditLog.Entry> entries = LateLoaderAuditTest.linkEntries(name);
        assertEquals(3, entries.size(), "each registration's record once: " + entries);
        for (int cycle = 1; cycle <= 3; cycle++) {
            assertTrue(entries.get(cycle - 1).outcome().startsWith("ok (" + LATER + " in class loader audit-forget-"
                    + cycle + "@"), entries.toString());
        }
        // The loaders of earlier registrations define no class again: nothing comes back for them.
        assertArrayEquals(new long[] {0, 0, 0}, remembered(name));
        assertEquals(3, kept.size());
    }

    /**
     * A patch JAR's, whose classes each target loader gets a copy of: a patch built in code would keep the
     * last loader that linked its replacement's method handle (the JDK's cache of its last asType).
     */
    @Test
    void whatWasAuditedInAClassLoaderThatIsGoneIsForgotten(@TempDir Path dir) throws Exception {
        String name = "audit-forget-loader";
        Path jar = Jars.write(dir.resolve("forgotten.jar"), Jars.manifest(name, FIX), Jars.classes(FIX));
        PatchHandle h = livepatch().load(jar);
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(10)));
        assertArrayEquals(new long[] {0, 0, 0}, remembered(name));
        WeakReference<ClassLoader> gone = definedInALoaderNothingKeeps(name);
        assertArrayEquals(new long[] {1, 1, 1}, remembered(name));

        // The sentinel says when the loader is gone, however long the collector takes; bounded retries.
        for (int i = 0; i < 200 && gone.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(gone.get(), "the class loader is still reachable after 200 collections: something holds it");
        // The count of loaders that defined the class is the registration's, not the loader's: it stays.
        assertArrayEquals(new long[] {0, 0, 1}, remembered(name),
                "what was audited in a class loader that is gone is forgotten, its patch still registered");
        assertTrue(h.isEnabled());
        assertEquals(1, LateLoaderAuditTest.linkEntries(name).size());
    }

    /** A loader whose hooked class is on record; returned weakly, nothing else keeps it. */
    private static WeakReference<ClassLoader> definedInALoaderNothingKeeps(String name) throws Exception {
        IsolatingLoader loader = IsolatingLoader.of("audit-forget-gone", FORGOTTEN);
        assertEquals("fixed", get(loader.define(FORGOTTEN)));
        assertEquals(1, LateLoaderAuditTest.awaitLinkEntries(name, 1).size());
        return new WeakReference<>(loader);
    }
}
