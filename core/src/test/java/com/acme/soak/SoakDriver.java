package com.acme.soak;

import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchHandle;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * Main class of a fresh JVM: load/unload cycles of a patch JAR while four workers call the patched
 * method and check every answer. Prints the figures and {@code RESULT ok} when no call failed and
 * metaspace, loaded classes and threads stopped growing after the first {@link #WARM_UP} cycles.
 *
 * <p>Arguments: the least and the most number of cycles, and the seconds after which it stops once
 * it has run the least (a bound on the test's length, not a measurement).
 */
public final class SoakDriver {

    private static final int WORKERS = 4;
    private static final int WARM_UP = 20;
    private static final AtomicLong CALLS = new AtomicLong();
    private static final AtomicLong FAILED = new AtomicLong();
    private static final AtomicReference<String> FIRST_FAILURE = new AtomicReference<>();
    private static volatile boolean stop;
    private static java.lang.instrument.Instrumentation inst;

    private SoakDriver() {
    }

    public static void main(String[] args) throws Exception {
        int least = Integer.parseInt(args[0]);
        int most = Integer.parseInt(args[1]);
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(Long.parseLong(args[2]));
        Path jar = patchJar();
        inst = ByteBuddyAgent.install();
        Livepatch lp = Livepatch.install(inst);
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < WORKERS; i++) {
            Thread t = new Thread(SoakDriver::work, "worker-" + i);
            t.setDaemon(true);
            t.start();
            workers.add(t);
        }
        Figures baseline = null;
        int cycles = 0;
        for (int i = 0; i < most && (i < least || System.nanoTime() < until); i++, cycles++) {
            PatchHandle h = lp.load(jar);
            h.enable();
            check(h.awaitTransition(Duration.ofSeconds(20)), "enable transition " + i + " did not end");
            h.disable();
            check(h.awaitTransition(Duration.ofSeconds(20)), "disable transition " + i + " did not end");
            h.unregister();
            if (i == WARM_UP - 1) {
                baseline = Figures.now();
            }
            if (System.getProperty("soak.trace") != null && i % 20 == 19) {
                System.out.println("after " + (i + 1) + " cycles: " + Figures.now());
            }
        }
        Figures end = Figures.now();
        stop = true;
        for (Thread t : workers) {
            t.join(20_000);
            check(!t.isAlive(), t.getName() + " hangs");
        }
        System.out.println("baseline (after " + WARM_UP + " cycles): " + baseline);
        System.out.println("end (after " + cycles + " cycles): " + end);
        System.out.println("calls=" + CALLS.get() + " failed=" + FAILED.get());
        java.util.Map<String, Integer> byLoader = new java.util.TreeMap<>();
        for (Class<?> c : inst.getAllLoadedClasses()) {
            if (!c.isHidden()) {
                ClassLoader l = c.getClassLoader();
                byLoader.merge(l == null ? "boot" : String.valueOf(l.getName()), 1, Integer::sum);
            }
        }
        System.out.println("live classes by loader name: " + byLoader);
        check(FAILED.get() == 0, FAILED.get() + " calls failed, the first: " + FIRST_FAILURE.get());
        check(CALLS.get() > 0, "no call was made");
        check(end.threads <= baseline.threads + 1, "threads grew: " + baseline.threads + " -> " + end.threads);
        // A leaked patch keeps at least its patch class per cycle: more than half a class per cycle
        // after the warm-up is a leak. (The JDK's own hidden classes, its method-handle caches, come
        // and go and are not counted.)
        int allowed = Math.max(20, (cycles - WARM_UP) / 2);
        check(end.classes <= baseline.classes + allowed, "live classes grew by more than " + allowed + " in "
                + (cycles - WARM_UP) + " cycles: " + baseline.classes + " -> " + end.classes);
        // Not quite flat: each cycle retransforms the target twice, and the JVM keeps a few KB of
        // every redefinition (measured 4 to 8 KB a cycle, tapering, on JDK 17 and 25). A leaked
        // patch (its class loader, its classes) costs far more and fails here.
        check(end.metaspace <= baseline.metaspace + 3 * 1024 * 1024,
                "metaspace grew: " + baseline.metaspace + " -> " + end.metaspace + " bytes");
        System.out.println("RESULT ok");
        System.exit(0);
    }

    private static void work() {
        for (long n = 1; !stop; n++) {
            if (n % 1000 == 0) {
                // Busy, but leaves the patching thread its share of two cores.
                java.util.concurrent.locks.LockSupport.parkNanos(200_000);
            }
            try {
                String r = Codec.encode("x");
                if (!r.equals("v1:x") && !r.equals("v2:x")) {
                    fail("wrong answer " + r);
                }
                CALLS.incrementAndGet();
            } catch (Throwable t) {
                fail(t.toString());
            }
        }
    }

    private static void fail(String what) {
        FAILED.incrementAndGet();
        FIRST_FAILURE.compareAndSet(null, what);
    }

    /** The patch JAR, from this test's own compiled CodecFix. */
    private static Path patchJar() throws Exception {
        Path jar = Files.createTempFile("soak-fix", ".jar");
        jar.toFile().deleteOnExit();
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().putValue("Livepatch-Name", "soak-fix");
        m.getMainAttributes().putValue("Livepatch-Description", "encode() answers v2");
        m.getMainAttributes().putValue("Livepatch-Class", "com.acme.soak.fix.CodecFix");
        String entry = "com/acme/soak/fix/CodecFix.class";
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, m);
             InputStream in = SoakDriver.class.getClassLoader().getResourceAsStream(entry)) {
            jos.putNextEntry(new JarEntry(entry));
            jos.write(in.readAllBytes());
            jos.closeEntry();
        }
        return jar;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("RESULT fail: " + what);
            System.exit(1);
        }
    }

    /** Metaspace used, loaded classes and live threads, after collecting what can be collected. */
    private static final class Figures {
        long metaspace;
        int classes;
        int threads;

        static Figures now() throws InterruptedException {
            for (int i = 0; i < 3; i++) {
                System.gc();
                Thread.sleep(50);
            }
            Figures f = new Figures();
            for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                if (pool.getName().equals("Metaspace")) {
                    f.metaspace = pool.getUsage().getUsed();
                }
            }
            // Live classes that are not hidden: the JVM's loaded-class count also counts every
            // retransformation, and hidden classes include the JDK's method-handle caches.
            int classes = 0;
            for (Class<?> c : inst.getAllLoadedClasses()) {
                if (!c.isHidden()) {
                    classes++;
                }
            }
            f.classes = classes;
            f.threads = ManagementFactory.getThreadMXBean().getThreadCount();
            return f;
        }

        @Override
        public String toString() {
            return "metaspace=" + metaspace + " B, classes=" + classes + ", threads=" + threads;
        }
    }
}
