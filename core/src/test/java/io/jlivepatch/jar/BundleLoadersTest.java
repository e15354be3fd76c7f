package io.jlivepatch.jar;

import io.jlivepatch.FunctionStatus;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.AuditLog;
import io.jlivepatch.internal.core.PatchRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * OSGi-style bundle loaders (see {@link BundleLoader}): two versions of an API bundle define the same
 * class, 1.0 with {@code quote} and {@code total}, 2.0 with {@code total} only; two client bundles
 * import its package, one from each version, so the loader asked for the class is never the one that
 * defines it. A patch loaded before either version's class is loaded is linked where it fits and
 * FAILED (status and audit) where it does not; a patch loaded after both is linked in both copies;
 * no call fails.
 */
class BundleLoadersTest {

    private static final String API = "bundles.api";
    private static final String PRICING = API + ".Pricing";
    private static final String API_ANCHOR = "bundles.api.impl.Activator";
    private static final String CLIENT = "bundles.client.Main";

    @TempDir
    Path dir;

    @AfterEach
    void cleanUp() throws Exception {
        Jars.removeAll();
    }

    private static void write(Path root, String className, byte[] bytes) throws Exception {
        Path file = root.resolve(className.replace('.', '/') + ".class");
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }

    /** An API bundle: Pricing ({@code n + add} for each method) and an activator, started (its activator loaded). */
    private BundleLoader apiBundle(String name, int add, String... methods) throws Exception {
        Path root = Files.createDirectories(dir.resolve(name));
        write(root, PRICING, GeneratedClasses.target(PRICING, add, methods));
        write(root, API_ANCHOR, GeneratedClasses.empty(API_ANCHOR));
        BundleLoader l = new BundleLoader(name, root, Set.of(API, "bundles.api.impl"));
        l.loadClass(API_ANCHOR);
        return l;
    }

    /** A client bundle importing bundles.api from {@code exporter}; its Main.run(n) calls Pricing.total(n). */
    private BundleLoader clientBundle(String name, BundleLoader exporter) throws Exception {
        Path root = Files.createDirectories(dir.resolve(name));
        write(root, CLIENT, GeneratedClasses.caller(CLIENT, PRICING, "total"));
        BundleLoader l = new BundleLoader(name, root, Set.of("bundles.client")).importing(API, exporter);
        l.loadClass(CLIENT); // started; it has not called Pricing yet, so Pricing is not loaded
        return l;
    }

    private Path patchJar(String name, String fixClass, String method) throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(fixClass.replace('.', '/') + ".class", GeneratedClasses.fix(fixClass, PRICING, method));
        return Jars.write(dir.resolve(name + ".jar"), Jars.manifest(name, fixClass), entries);
    }

    private static int run(BundleLoader client, int n) throws Exception {
        return (int) client.loadClass(CLIENT).getMethod("run", int.class).invoke(null, n);
    }

    private static int quote(Class<?> pricing, int n) throws Exception {
        Object p = pricing.getConstructor().newInstance();
        Method m = pricing.getMethod("quote", int.class);
        return (int) m.invoke(p, n);
    }

    private static FunctionStatus.LoaderStatus in(FunctionStatus f, ClassLoader l) {
        List<FunctionStatus.LoaderStatus> of = f.loaders().stream()
                .filter(s -> s.classLoader().startsWith(l.getName() + "@")).toList();
        assertEquals(1, of.size(), l.getName() + " in " + f);
        return of.get(0);
    }

    /** The link failures of {@code patch}. */
    private static List<AuditLog.Entry> linkFailures(String patch) throws InterruptedException {
        // Written by jlivepatch's own thread after the defining thread handed them over: a hang
        // detector, not a timing (they are there long before).
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        List<AuditLog.Entry> found = List.of();
        while (found.isEmpty() && System.nanoTime() - deadline < 0) {
            found = PatchRegistry.installed().audit().entries().stream()
                    .filter(e -> e.operation().equals("link") && e.patch().equals(patch)
                            && e.outcome().startsWith("failed")).toList(); // not the lines of hooks put in
            if (found.isEmpty()) {
                Thread.sleep(5);
            }
        }
        return found;
    }

    @Test
    void eachDefiningBundleLoaderIsPatchedWhereThePatchFitsAndSaysWhyNotWhereItDoesNot() throws Exception {
        BundleLoader api1 = apiBundle("api-1.0", 1, "quote", "total");
        BundleLoader api2 = apiBundle("api-2.0", 2, "total");
        BundleLoader clientA = clientBundle("client-a", api1);
        BundleLoader clientB = clientBundle("client-b", api2);

        // Before either version's Pricing is loaded: prepared under a loader whose copy declares quote.
        PatchHandle before = Jars.lp().load(patchJar("fix-bundle-quote", "bundles.fix.QuoteFix", "quote"));
        before.enable();
        assertTrue(before.awaitTransition(Duration.ofSeconds(10)));

        assertEquals(8, run(clientA, 7), "total is not patched yet (1.0: n + 1)");
        assertEquals(9, run(clientB, 7), "total is not patched yet (2.0: n + 2)");
        Class<?> pricingA = clientA.loadClass(PRICING);
        Class<?> pricingB = clientB.loadClass(PRICING);
        assertSame(api1, pricingA.getClassLoader(), "client-a's Pricing is defined by the exporting bundle");
        assertSame(api2, pricingB.getClassLoader());
        assertNotSame(pricingA, pricingB);
        assertEquals(70, quote(pricingA, 7), "quote is patched in 1.0's copy");
        assertThrows(NoSuchMethodException.class, () -> pricingB.getMethod("quote", int.class));

        FunctionStatus quoteStatus = before.functions().get(0);
        assertEquals(FunctionStatus.State.PATCHED, in(quoteStatus, api1).state(), quoteStatus.toString());
        FunctionStatus.LoaderStatus failed = in(quoteStatus, api2);
        assertEquals(FunctionStatus.State.FAILED, failed.state(), quoteStatus.toString());
        assertTrue(failed.detail().contains("does not declare"), failed.toString());
        List<AuditLog.Entry> audited = linkFailures("fix-bundle-quote");
        assertEquals(1, audited.size(), audited.toString());
        assertTrue(audited.get(0).outcome().startsWith("failed in class loader api-2.0@")
                && audited.get(0).outcome().contains(PRICING + ".quote(I)I keeps its own code: " + failed.detail()),
                audited.toString());

        // After both versions' Pricing is loaded: total, which both declare, is patched in both, while
        // the clients call it all along.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger calls = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                while (!stop.get()) {
                    int a = run(clientA, 7);
                    int b = run(clientB, 7);
                    if ((a != 8 && a != 70) || (b != 9 && b != 70)) {
                        throw new AssertionError("client-a got " + a + ", client-b got " + b);
                    }
                    calls.incrementAndGet();
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "bundle-caller");
        caller.start();
        PatchHandle after;
        try {
            while (calls.get() < 100 && failure.get() == null) {
                Thread.onSpinWait(); // the caller is running before the load
            }
            after = Jars.lp().load(patchJar("fix-bundle-total", "bundles.fix.TotalFix", "total"));
            after.enable();
            assertTrue(after.awaitTransition(Duration.ofSeconds(10)));
        } finally {
            stop.set(true);
            caller.join();
        }
        assertEquals(null, failure.get(), "no call failed");
        assertEquals(70, run(clientA, 7));
        assertEquals(70, run(clientB, 7));
        FunctionStatus totalStatus = after.functions().get(0);
        assertEquals(FunctionStatus.State.PATCHED, in(totalStatus, api1).state(), totalStatus.toString());
        assertEquals(FunctionStatus.State.PATCHED, in(totalStatus, api2).state(), totalStatus.toString());
        assertEquals(70, quote(pricingA, 7), "the first patch stays");

        // A patch of quote loaded now that 2.0's copy, without quote, is loaded: refused as a whole
        // (registration checks every loaded copy), naming that bundle's loader.
        PatchException refused = assertThrows(PatchException.class,
                () -> Jars.lp().load(patchJar("fix-bundle-quote-late", "bundles.fix.QuoteLateFix", "quote")));
        assertEquals(PatchException.Reason.TARGET_NOT_FOUND, refused.reason(), refused.getMessage());
        assertTrue(refused.getMessage().contains("api-2.0@"), refused.getMessage());
    }
}
