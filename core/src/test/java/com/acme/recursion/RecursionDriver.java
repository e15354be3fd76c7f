package com.acme.recursion;

import io.jlivepatch.Livepatch;
import io.jlivepatch.Patch;
import io.jlivepatch.PatchHandle;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Main class of a fresh JVM: patches one JDK method that jlivepatch uses on its own hook path while
 * four worker threads use it and check every result, goes through enable/disable cycles, a reversed
 * transition and a forced one, reads the status, and removes the patch. Prints {@code RESULT ok ...}
 * when every call succeeded and the workers kept working, {@code RESULT fail ...} otherwise.
 *
 * <p>Argument: {@code hash}, {@code arraylist}, {@code threadlocal}, {@code stringbuilder} or {@code logger}.
 */
public final class RecursionDriver {

    private static final int WORKERS = 4;
    private static final int CYCLES = 20;
    private static final Duration WAIT = Duration.ofSeconds(20);

    private static final AtomicLong WORK = new AtomicLong();
    private static final AtomicReference<Throwable> FAILURE = new AtomicReference<>();
    private static volatile boolean stop;

    private RecursionDriver() {
    }

    public static void main(String[] args) throws Exception {
        String target = args[0];
        // jlivepatch logs every step at INFO: let it, so that its own logging runs on the paths tested.
        Logger.getLogger("io.jlivepatch").setLevel(Level.INFO);
        Livepatch lp = Livepatch.install(ByteBuddyAgent.install());
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < WORKERS; i++) {
            Thread t = new Thread(() -> work(target), "worker-" + i);
            t.setDaemon(true);
            t.start();
            workers.add(t);
        }
        awaitProgress();

        PatchHandle h = lp.register(patch(target));
        long callsBefore = JdkFixes.CALLS.get();
        for (int i = 0; i < CYCLES; i++) {
            h.enable();
            check(h.awaitTransition(WAIT), "enable transition " + i + " did not end");
            awaitProgress();
            h.disable();
            check(h.awaitTransition(WAIT), "disable transition " + i + " did not end");
            awaitProgress();
        }
        check(JdkFixes.CALLS.get() > callsBefore, "the replacement never ran");

        // A reversed transition: a thread parked in the patch's method keeps it open.
        CountDownLatch release = new CountDownLatch(1);
        Thread parked = park(release);
        h.enable();
        check(h.inTransition(), "the parked thread should hold the enable transition");
        awaitProgress();
        h.disable(); // reverses it
        check(h.awaitTransition(WAIT), "the reversed transition did not end");
        release.countDown();
        parked.join();

        // A forced transition.
        release = new CountDownLatch(1);
        parked = park(release);
        h.enable();
        check(h.inTransition(), "the parked thread should hold the enable transition");
        awaitProgress();
        h.forceTransition();
        check(!h.inTransition(), "force did not end the transition");
        awaitProgress();
        release.countDown();
        parked.join();

        // Status works, and the patch can be removed.
        String status = h.functions().toString();
        check(status.contains("PATCHED"), "status should show the patched method: " + status);
        h.disable();
        check(h.awaitTransition(WAIT), "the last disable did not end");
        h.unregister();
        check(lp.patches().isEmpty(), "the patch is still registered");
        long after = JdkFixes.CALLS.get();
        awaitProgress();
        check(JdkFixes.CALLS.get() == after, "the replacement still runs after unload");

        stop = true;
        for (Thread t : workers) {
            t.join(TimeUnit.SECONDS.toMillis(20));
            check(!t.isAlive(), t.getName() + " hangs");
        }
        check(JdkFixes.OWN_THREAD.get() == null, "jlivepatch's own thread " + JdkFixes.OWN_THREAD.get()
                + " ran a replacement");
        Throwable f = FAILURE.get();
        if (f != null) {
            System.out.println("RESULT fail: a worker's call failed");
            f.printStackTrace(System.out);
            System.exit(1);
        }
        System.out.println("RESULT ok work=" + WORK.get() + " replacementCalls=" + JdkFixes.CALLS.get());
        System.exit(0);
    }

    private static Patch patch(String target) throws NoSuchMethodException {
        Patch.Builder b = Patch.builder("jdk-" + target).description("behaviour-preserving patch of a JDK method"
                + " jlivepatch uses itself");
        switch (target) {
            case "hash":
                b.replace("java.util.HashMap", "hash", "(Ljava/lang/Object;)I",
                        JdkFixes.class.getMethod("hash", Object.class));
                break;
            case "arraylist":
                b.replace("java.util.ArrayList", "get", "(I)Ljava/lang/Object;",
                        JdkFixes.class.getMethod("get", ArrayList.class, int.class));
                break;
            case "threadlocal":
                b.replace("java.lang.ThreadLocal", "get", "()Ljava/lang/Object;",
                        JdkFixes.class.getMethod("get", ThreadLocal.class));
                break;
            case "stringbuilder":
                b.replace("java.lang.StringBuilder", "append", "(Ljava/lang/String;)Ljava/lang/StringBuilder;",
                        JdkFixes.class.getMethod("append", StringBuilder.class, String.class));
                break;
            case "logger":
                b.replace("java.util.logging.Logger", "log", "(Ljava/util/logging/LogRecord;)V",
                        JdkFixes.class.getMethod("log", Logger.class, LogRecord.class));
                break;
            default:
                throw new IllegalArgumentException(target);
        }
        return b.replace(JdkFixes.Holder.class.getMethod("park", CountDownLatch.class),
                JdkFixes.class.getMethod("park", CountDownLatch.class)).build();
    }

    private static Thread park(CountDownLatch release) throws InterruptedException {
        CountDownLatch in = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            in.countDown();
            JdkFixes.Holder.park(release);
        }, "parked");
        t.setDaemon(true);
        t.start();
        in.await();
        // The thread is in park() (or about to be): either way it entered before the enable below,
        // so it holds the transition until released. Wait until it really waits.
        while (t.getState() != Thread.State.WAITING) {
            Thread.onSpinWait();
        }
        return t;
    }

    /** One worker: uses the target method all the time and checks every answer. */
    private static void work(String target) {
        Logger logger = Logger.getLogger("recursion.driver." + Thread.currentThread().getName());
        logger.setUseParentHandlers(false);
        AtomicLong published = new AtomicLong();
        logger.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                published.incrementAndGet();
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
        ThreadLocal<String> local = ThreadLocal.withInitial(() -> Thread.currentThread().getName());
        try {
            for (long n = 0; !stop; n++) {
                switch (target) {
                    case "hash": {
                        Map<String, Long> m = new HashMap<>();
                        for (long k = 0; k < 16; k++) {
                            m.put("k" + k, k * n);
                        }
                        for (long k = 0; k < 16; k++) {
                            check(m.get("k" + k) == k * n, "HashMap lost a value");
                        }
                        break;
                    }
                    case "arraylist": {
                        ArrayList<Long> l = new ArrayList<>();
                        for (long k = 0; k < 16; k++) {
                            l.add(k + n);
                        }
                        for (int k = 0; k < 16; k++) {
                            check(l.get(k) == k + n, "ArrayList.get gave a wrong element");
                        }
                        break;
                    }
                    case "threadlocal":
                        check(Thread.currentThread().getName().equals(local.get()), "ThreadLocal gave another value");
                        local.set(Thread.currentThread().getName());
                        break;
                    case "stringbuilder": {
                        String s = new StringBuilder().append("a").append(Long.toString(n)).append("z").toString();
                        check(s.equals("a" + n + "z"), "StringBuilder built " + s);
                        break;
                    }
                    case "logger": {
                        long before = published.get();
                        logger.log(new LogRecord(Level.INFO, "call " + n));
                        check(published.get() == before + 1, "the log record was not published");
                        break;
                    }
                    default:
                        throw new IllegalArgumentException(target);
                }
                WORK.incrementAndGet();
            }
        } catch (Throwable t) {
            FAILURE.compareAndSet(null, t);
        }
    }

    /** Waits until the workers have done more work: they are alive and not stuck. */
    private static void awaitProgress() throws InterruptedException {
        long start = WORK.get();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (WORK.get() < start + 100) {
            if (FAILURE.get() != null) {
                return;
            }
            check(System.nanoTime() < deadline, "the workers made no progress");
            Thread.sleep(1);
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
