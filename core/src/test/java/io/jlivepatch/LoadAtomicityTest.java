package io.jlivepatch;

import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import testapp.Stacked;
import transapp.Codec;
import transapp.Gate;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code load} is one step: register and enable under the registry's lock. Concurrent loads succeed,
 * or fail for a real reason only ({@code BUSY}), never with a false {@code ORDER_VIOLATION}; a
 * refused enable leaves nothing registered; the audit log has one entry per load.
 */
class LoadAtomicityTest {

    private static final int LOADERS = 6;

    @TempDir
    Path dir;

    private final List<Thread> gated = new ArrayList<>();

    public static int two(Stacked s) {
        return 2;
    }

    public static String newEncode(String s) {
        return "new-enc(" + s + ")";
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Thread t : gated) {
            Gate.release(t);
            t.join(5_000);
        }
        for (PatchHandle h : livepatch().patches()) {
            h.awaitTransition(Duration.ofSeconds(10));
        }
        TestSupport.removeAllPatches();
        for (PatchHandle h : livepatch().patches()) {
            h.awaitTransition(Duration.ofSeconds(10));
        }
    }

    @Test
    void concurrentLoadsOfDifferentPatchJarsAllSucceedOrAreBusy() throws Exception {
        List<Path> jars = new ArrayList<>();
        for (int i = 0; i < LOADERS; i++) {
            jars.add(counterJar("atomic-jar-" + i));
        }
        List<String> outcomes = concurrently(LOADERS, i -> Mbeans.load(jars.get(i).toString(), true));
        assertConsistent(outcomes, "atomic-jar-");
        assertEquals(livepatch().patches().isEmpty() ? 1 : -1, new Counter().next());
        // One coherent entry per load: nothing of a register and an enable apart.
        List<String> log = Arrays.asList(Mbeans.log());
        for (int i = 0; i < LOADERS; i++) {
            String name = "atomic-jar-" + i;
            List<String> mine = log.stream().filter(l -> l.contains(" " + name + " by ")
                    && !l.contains(" transition " + name + " by ")).toList(); // the load's end: its own line
            assertEquals(1, mine.size(), mine.toString());
            assertTrue(mine.get(0).contains(" load " + name + " by ") && (mine.get(0).contains(": ok (registered, enabled)")
                    || mine.get(0).contains(": refused BUSY")), mine.get(0));
        }
    }

    @Test
    void concurrentRegisterAndEnableOfPatchesAllSucceedOrAreBusy() throws Exception {
        List<String> outcomes = concurrently(LOADERS, i -> RegistryAccess.get().registerAndEnable(
                Patch.builder("atomic-api-" + i).replace(method(Stacked.class, "value"),
                        method(LoadAtomicityTest.class, "two", Stacked.class)).build()).name());
        assertConsistent(outcomes, "atomic-api-");
        assertEquals(2, new Stacked().value());
    }

    /** Every outcome a success or BUSY; the stack exactly the successes, all enabled, in order. */
    private static void assertConsistent(List<String> outcomes, String prefix) throws InterruptedException {
        List<String> loaded = new ArrayList<>();
        for (String o : outcomes) {
            if (o.startsWith(prefix)) {
                loaded.add(o);
            } else {
                assertTrue(o.startsWith("BUSY:") && o.contains("retry"), "refused for no real reason: " + o);
            }
        }
        assertFalse(loaded.isEmpty(), outcomes.toString());
        List<PatchHandle> stack = livepatch().patches();
        assertEquals(loaded.stream().sorted().toList(), stack.stream().map(PatchHandle::name).sorted().toList());
        for (PatchHandle h : stack) {
            assertTrue(h.awaitTransition(Duration.ofSeconds(10)), h.name());
            assertTrue(h.isEnabled(), h.name() + " registered but not enabled");
        }
    }

    @Test
    void aLoadWhoseEnableIsRefusedLeavesNothingRegistered() throws Exception {
        PatchHandle below = livepatch().register(Patch.builder("atomic-below")
                .replace(method(Stacked.class, "value"), method(LoadAtomicityTest.class, "two", Stacked.class)).build());
        Path jar = counterJar("atomic-refused");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Mbeans.load(jar.toString(), true));
        assertTrue(e.getMessage().startsWith("ORDER_VIOLATION: cannot enable patch 'atomic-refused' while"
                + " 'atomic-below'"), e.getMessage());
        assertEquals(List.of(below), livepatch().patches());
        assertFalse(Mbeans.isRegistered("atomic-refused"), "no MBean for a patch never registered");
        assertEquals(1, new Counter().next());
        List<String> mine = Arrays.stream(Mbeans.log()).filter(l -> l.contains("atomic-refused")).toList();
        assertEquals(1, mine.size(), mine.toString());
        assertTrue(mine.get(0).contains("load atomic-refused by ") && mine.get(0).contains(": refused ORDER_VIOLATION"),
                mine.get(0));
        // The same JAR loads once the way is clear: nothing of the refused attempt is left.
        below.unregister();
        assertEquals("atomic-refused", Mbeans.load(jar.toString(), true));
        assertEquals(-1, new Counter().next());
    }

    @Test
    void aLoadWaitsForAnotherPatchsTransitionToEnd() throws Exception {
        PatchHandle held = heldTransition("atomic-held");
        Path jar = counterJar("atomic-waiting");
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread loader = new Thread(() -> {
            try {
                outcome.set(Mbeans.load(jar.toString(), true));
            } catch (Exception | Error e) {
                outcome.set(e);
            }
        }, "atomic-loader");
        loader.start();
        // The loader waits for the transition under the registry's lock condition; then let it end.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (loader.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(Thread.State.TIMED_WAITING, loader.getState(), "the load waits for the transition");
        assertTrue(held.inTransition());
        gated.forEach(Gate::release);
        loader.join(10_000);
        assertEquals("atomic-waiting", outcome.get());
        assertEquals(List.of("atomic-held", "atomic-waiting"), livepatch().patches().stream().map(PatchHandle::name).toList());
        assertEquals(-1, new Counter().next());
    }

    @Test
    void aLoadRefusesWithBusyWhenTheOtherTransitionOutlastsTheWait() throws Exception {
        heldTransition("atomic-stuck");
        Path jar = counterJar("atomic-busy");
        long t0 = System.nanoTime();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Mbeans.load(jar.toString(), true));
        assertTrue(System.nanoTime() - t0 >= TimeUnit.SECONDS.toNanos(1), "it waited first");
        assertTrue(e.getMessage().startsWith("BUSY: cannot enable patch 'atomic-busy' while patch 'atomic-stuck' is in"
                + " transition: retry"), e.getMessage());
        assertEquals(List.of("atomic-stuck"), livepatch().patches().stream().map(PatchHandle::name).toList());
        assertEquals(1, new Counter().next());
        assertTrue(Mbeans.statusText().contains("atomic-stuck [enabled, in transition]"), Mbeans.statusText());
    }

    /**
     * A load interrupted while it waits for another patch's transition stops waiting: refused BUSY with
     * nothing registered, the caller's interrupt status kept, jlivepatch's lock let go; the transition goes
     * on, and the same load succeeds once it has ended.
     */
    /** Whether {@code t} is parked in the registry's wait for another patch's transition to end. */
    private static boolean waitsForTheTransition(Thread t) {
        return t.getState() == Thread.State.TIMED_WAITING && Arrays.stream(t.getStackTrace())
                .anyMatch(f -> f.getMethodName().equals("awaitNoTransition"));
    }

    @Test
    void aLoadInterruptedWhileItWaitsForATransitionIsRefusedAndChangesNothing() throws Exception {
        PatchHandle held = heldTransition("atomic-interrupted-held");
        Path jar = counterJar("atomic-interrupted");
        AtomicReference<Object> outcome = new AtomicReference<>();
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        Thread loader = new Thread(() -> {
            try {
                outcome.set(RegistryAccess.get().loadAndEnable(jar));
            } catch (Exception | Error e) {
                outcome.set(e);
            }
            stillInterrupted.set(Thread.interrupted());
        }, "atomic-interrupted-loader");
        loader.start();
        // Timed waits come before that one too (the JAR's read waits for its open on a thread of its own): the
        // interrupt must land in the wait for the transition, so the loader's stack is looked at, not its state
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!waitsForTheTransition(loader) && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertTrue(waitsForTheTransition(loader), "the load waits for the transition");
        loader.interrupt();
        loader.join(10_000);
        assertFalse(loader.isAlive());

        PatchException e = (PatchException) outcome.get();
        assertEquals(PatchException.Reason.BUSY, e.reason(), e.getMessage());
        assertTrue(e.getMessage().startsWith("cannot enable patch 'atomic-interrupted' while patch"
                + " 'atomic-interrupted-held' is in transition"), e.getMessage());
        assertTrue(stillInterrupted.get(), "the caller's interrupt status is kept");
        assertEquals(List.of("atomic-interrupted-held"), livepatch().patches().stream().map(PatchHandle::name).toList());
        assertEquals(1, new Counter().next());
        assertTrue(Mbeans.statusText().contains("atomic-interrupted-held [enabled, in transition]"), Mbeans.statusText());
        List<String> audit = Arrays.stream(Mbeans.log()).filter(l -> l.contains(" atomic-interrupted by ")).toList();
        assertEquals(1, audit.size(), audit.toString());
        assertTrue(audit.get(0).contains("refused BUSY"), audit.get(0));

        gated.forEach(Gate::release);
        assertTrue(held.awaitTransition(Duration.ofSeconds(30)), "the transition went on");
        PatchHandle h = RegistryAccess.get().loadAndEnable(jar);
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(-1, new Counter().next());
        h.disable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(1, new Counter().next());
        h.unregister();
    }

    /** A patch of transapp.Codec whose enable transition a thread inside the old encode holds. */
    private PatchHandle heldTransition(String name) throws Exception {
        Thread t = new Thread(() -> Codec.encode("x"), name + "-holder");
        Gate.arm(t);
        gated.add(t);
        t.start();
        Gate.awaitEntered(t);
        PatchHandle h = livepatch().register(Patch.builder(name)
                .replace(method(Codec.class, "encode", String.class),
                        method(LoadAtomicityTest.class, "newEncode", String.class)).build());
        h.enable();
        assertTrue(h.inTransition());
        return h;
    }

    private interface Load {
        String run(int i) throws Exception;
    }

    /** Runs {@code n} loads at once; each outcome is the patch's name or the refusal's message. */
    private static List<String> concurrently(int n, Load load) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CyclicBarrier start = new CyclicBarrier(n);
            List<Future<String>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int index = i;
                Callable<String> c = () -> {
                    start.await();
                    try {
                        return load.run(index);
                    } catch (PatchException e) {
                        return e.reason() + ": " + e.getMessage();
                    } catch (IllegalStateException e) {
                        return e.getMessage();
                    }
                };
                futures.add(pool.submit(c));
            }
            List<String> outcomes = new ArrayList<>();
            for (Future<String> f : futures) {
                outcomes.add(f.get(60, TimeUnit.SECONDS));
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }

    private Path counterJar(String name) throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", name);
        m.getMainAttributes().putValue("Livepatch-Class", "jarapp.fix.CounterFix");
        Path jar = dir.resolve(name + ".jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, m)) {
            jos.putNextEntry(new JarEntry("jarapp/fix/CounterFix.class"));
            jos.write(TestSupport.classFile("jarapp.fix.CounterFix"));
            jos.closeEntry();
        }
        return jar;
    }
}
