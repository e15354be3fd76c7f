package io.jlivepatch.spring;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 17 end to end with a real Spring Boot 3.5 application, as its users ship it: two builds of
 * the shop fat JAR (spring-it/apps), whose fix changes {@code PricingService.quote} in
 * BOOT-INF/classes and {@code Money.roundToNickel} in BOOT-INF/lib/acme-money-1.0.jar. Everything runs
 * as an operator runs it: {@code jlivepatch build} on the two JARs, {@code java -jar shop-1.0.jar}
 * with and without the agent, {@code jlivepatch load <pid>}.
 *
 * <p>{@code /quote?unit=137&qty=10}: 1.0 answers 1370 (no discount at 10 items, and the library
 * truncates); the fixed build 1235 (1233 after the discount, rounded half up). Only the quote fixed
 * would answer 1230, only the library 1370: 1235 shows both replacements run, and that a thread
 * never sees one without the other.
 */
class SpringBootIT {

    private static final Path OLD = Paths.get(System.getProperty("shop.old.jar"));
    private static final Path NEW = Paths.get(System.getProperty("shop.new.jar"));
    private static final String QUOTE = "/quote?unit=137&qty=10";
    private static final String BUGGY = "1370";
    private static final String FIXED = "1235";

    @TempDir
    static Path shared;
    /** The patch 'jlivepatch build' made from the two fat JARs; every test uses it. */
    private static Path fix;
    private static Jlivepatch build;

    @TempDir
    Path dir;

    @BeforeAll
    static void buildThePatch() throws Exception {
        fix = shared.resolve("fix-quote.jar");
        build = Jlivepatch.run("build", "--old", OLD, "--new", NEW, "--include", "com.acme.*", "--name", "fix-quote",
                "-o", fix);
        assertEquals(0, build.exitCode(), build.toString());
    }

    @Test
    void buildFindsTheChangeInTheApplicationAndInItsLibraryAndTheDryRunAgrees() throws Exception {
        assertTrue(build.out().contains("changed function: com.acme.shop.PricingService.quote(II)J\n")
                && build.out().contains("changed function: com.acme.money.Money.roundToNickel(J)J\n")
                && build.out().contains("2 changed, 0 new function(s), 0 new class(es)\n"), build.toString());
        assertTrue(build.out().contains("note: " + OLD + " is a Spring Boot fat JAR: compared 3 classes of"
                + " BOOT-INF/classes and "), build.toString());
        assertTrue(Files.isRegularFile(fix), build.toString());

        Path notWritten = dir.resolve("dry.jar");
        Jlivepatch dry = Jlivepatch.run("build", "--old", OLD, "--new", NEW, "--include", "com.acme.*", "--name",
                "fix-quote", "-o", notWritten, "--dry-run");
        assertEquals(0, dry.exitCode(), dry.toString());
        assertEquals(build.out().replace("patch written: " + fix + "\n", ""), dry.out(),
                "the dry run reports what the build did, but writes nothing");
        assertFalse(Files.exists(notWritten), dry.toString());
    }

    @Test
    void aStartUpPatchFixesTheServiceFromItsFirstRequest() throws Exception {
        Path patches = Files.createDirectories(dir.resolve("patches"));
        Files.copy(fix, patches.resolve("10-fix-quote.jar"));
        try (Shop shop = Shop.start(OLD, dir, "startup", "-javaagent:" + Jlivepatch.AGENT + "=patches=" + patches)) {
            // The LaunchedClassLoader defines ShopApplication, and the patch goes in then, on jlivepatch's
            // own thread: wait for its line (or a refusal) before the first request, not for a time.
            String loaded = "'fix-quote': loaded from " + patches.resolve("10-fix-quote.jar")
                    + " once a class loader could load its classes";
            for (int i = 0; i < 600 && !shop.stderr().contains(loaded) && !shop.stderr().contains("SEVERE"); i++) {
                Thread.sleep(100);
            }
            assertTrue(shop.stderr().contains(loaded), shop.output());
            assertEquals(FIXED, shop.get(QUOTE), shop.output());

            Jlivepatch status = Jlivepatch.run("status", shop.pid());
            assertTrue(status.out().contains("1. fix-quote [enabled]"), status.toString());
            for (String function : List.of("com.acme.shop.PricingService.quote(II)J",
                    "com.acme.money.Money.roundToNickel(J)J")) {
                assertTrue(status.out().contains(function + " [org.springframework.boot.loader.launch"
                        + ".LaunchedClassLoader@"), "patched in the fat JAR's loader: " + status);
            }
            assertFalse(status.out().contains("not patched") || status.out().contains("pending"), status.toString());
            // The loaders Spring makes before and besides the LaunchedClassLoader cannot read the patch's
            // classes: they make no retry, so the refusal at premain stays the only one (33 before).
            assertEquals(1, shop.stderr().lines().filter(l -> l.contains("load refused")).count(), shop.output());
            Jlivepatch log = Jlivepatch.run("status", shop.pid(), "--log");
            assertEquals(1, log.out().lines().filter(l -> l.contains(" load ") && l.contains(": refused")).count(),
                    log.toString());
        }
    }

    @Test
    void aLiveLoadFixesTheRunningServiceUnderLoadAndAPatchOfItsCglibProxyIsRefused() throws Exception {
        try (Shop shop = Shop.start(OLD, dir, "live")) {
            assertEquals(BUGGY, shop.get(QUOTE));
            // The controller calls PricingService through the proxy Spring made for its @Cacheable.
            assertEquals("com.acme.shop.PricingService$$SpringCGLIB$$0", shop.get("/pricing-class"));

            Load load = new Load(shop, 4);
            Jlivepatch loaded;
            try {
                load.awaitRequests();
                loaded = Jlivepatch.run("load", shop.pid(), fix);
                load.patched = true; // every request sent from here on must see the fix
                load.awaitRequests();
            } finally {
                load.stop();
            }
            assertEquals(0, loaded.exitCode(), loaded + shop.output());
            assertTrue(loaded.out().contains("com.acme.shop.PricingService.quote(II)J [org.springframework.boot"
                    + ".loader.launch.LaunchedClassLoader@"), loaded.toString());
            assertEquals(List.of(), List.copyOf(load.failures), load.sent + " requests");
            assertTrue(load.fixedAfterLoad.get() >= 4 * Load.EACH, "every client saw the fix after the load");
            assertEquals(FIXED, shop.get(QUOTE));

            Path proxyFix = proxyFixJar(dir.resolve("fix-proxy.jar"));
            Jlivepatch refused = Jlivepatch.run("load", shop.pid(), proxyFix);
            assertNotEquals(0, refused.exitCode(), refused.toString());
            String said = refused.out() + refused.err();
            assertTrue(said.contains("NOT_PATCHABLE") && said.contains("com.acme.shop.PricingService$$SpringCGLIB$$0"
                    + " is Spring's CGLIB proxy, generated at run time") && said.contains(
                    "patch com.acme.shop.PricingService instead"), refused.toString());
            assertEquals(FIXED, shop.get(QUOTE), "the refused patch changed nothing");
            Jlivepatch status = Jlivepatch.run("status", shop.pid());
            assertTrue(status.out().contains("1 patch") && !status.out().contains("fix-proxy"), status.toString());
        }
    }

    /** A patch JAR whose one replacement names the CGLIB proxy class Spring made for PricingService. */
    private static Path proxyFixJar(Path jar) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", "fix-proxy");
        m.getMainAttributes().putValue("Livepatch-Class", "shopfix.ProxyQuoteFix");
        String entry = "shopfix/ProxyQuoteFix.class";
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, m)) {
            jos.putNextEntry(new JarEntry(entry));
            jos.write(Files.readAllBytes(Paths.get(System.getProperty("jlivepatch.test.classes")).resolve(entry)));
            jos.closeEntry();
        }
        return jar;
    }

    /**
     * Clients asking for the quote in a loop, each on a connection of its own. awaitRequests waits
     * until each has sent {@link #EACH} more requests, so the load is running when the patch goes in
     * and after it, counted in requests, never in time.
     */
    private static final class Load {

        static final int EACH = 25;
        /** Bounds each client's loop; far more than the test needs. */
        private static final int MAX_PER_CLIENT = 20_000;

        final Queue<String> failures = new ConcurrentLinkedQueue<>();
        final AtomicInteger sent = new AtomicInteger();
        final AtomicInteger fixedAfterLoad = new AtomicInteger();
        /** Set by the test once 'jlivepatch load' has returned; read by every client before it sends. */
        volatile boolean patched;
        private volatile boolean stop;
        private volatile CountDownLatch round;
        private final List<Thread> clients = new ArrayList<>();

        Load(Shop shop, int clients) {
            round = new CountDownLatch(clients);
            for (int c = 0; c < clients; c++) {
                Thread t = new Thread(() -> run(shop), "shop-client-" + c);
                t.start();
                this.clients.add(t);
            }
        }

        private void run(Shop shop) {
            CountDownLatch counted = null;
            int inRound = 0;
            for (int i = 0; i < MAX_PER_CLIENT && !stop; i++) {
                CountDownLatch current = round;
                if (current != counted) {
                    counted = current;
                    inRound = 0;
                }
                boolean mustBeFixed = patched;
                try {
                    String answer = shop.get(QUOTE);
                    sent.incrementAndGet();
                    if (mustBeFixed ? !answer.equals(FIXED) : !answer.equals(FIXED) && !answer.equals(BUGGY)) {
                        failures.add("request " + i + " of " + Thread.currentThread().getName() + " answered "
                                + answer + (mustBeFixed ? " after the load" : ""));
                    } else if (mustBeFixed) {
                        fixedAfterLoad.incrementAndGet();
                    }
                } catch (IOException | RuntimeException e) {
                    failures.add("request " + i + " of " + Thread.currentThread().getName() + " failed: " + e);
                } catch (InterruptedException e) {
                    return;
                }
                if (++inRound == EACH) {
                    counted.countDown();
                }
            }
        }

        /** Until each client has sent EACH requests from now on (a minute at most: a hang detector). */
        void awaitRequests() throws InterruptedException {
            CountDownLatch next = new CountDownLatch(clients.size());
            round = next;
            assertTrue(next.await(60, TimeUnit.SECONDS), "the clients stopped sending: " + failures);
        }

        void stop() throws InterruptedException {
            stop = true;
            for (Thread t : clients) {
                t.join(TimeUnit.SECONDS.toMillis(60));
            }
        }
    }
}
