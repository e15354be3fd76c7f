package io.jlivepatch.internal.control;

import java.lang.instrument.Instrumentation;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.util.concurrent.CountDownLatch;

/**
 * Run in a fresh JVM by {@link JmxWatchStackEdgeTest}: jlivepatch's second transformer, the one that
 * watches for an MBean server's classes ({@link JmxWatch}), sees a {@code com.sun.jmx} class defined
 * at every depth around the edge of a small stack, round after round. After each attempt, once its
 * looking thread (if one started) has ended, no look may be left marked as running: before, a
 * request that had claimed the look and then overflowed constructing the looking thread left it so
 * for good, every later request started no thread, and jlivepatch's MBeans were never registered.
 * At the end, with an MBean server up, one more class must have the action run. Prints {@code RESULT ok}.
 */
public final class JmxWatchStackEdgeDriver {

    private static final int STACK_BYTES = 256 * 1024;
    private static final int ROUNDS = 5;
    private static final int STRIDE = 8;
    private static final int AROUND = 48;
    private static final int START = 1_000_000;

    private static final CountDownLatch ACTION = new CountDownLatch(1);

    private static JmxWatch watch;
    private static Field running;
    private static volatile int reached;
    private static volatile boolean returned;
    private static int attempts;
    private static int returnedCount;
    private static int overflowed;

    private JmxWatchStackEdgeDriver() {
    }

    public static void main(String[] args) throws Exception {
        Constructor<JmxWatch> c = JmxWatch.class.getDeclaredConstructor(Instrumentation.class, Runnable.class);
        c.setAccessible(true);
        // never added to it: the watch only removes itself once it found a server (removeTransformer: false)
        watch = c.newInstance(net.bytebuddy.agent.ByteBuddyAgent.install(), (Runnable) ACTION::countDown);
        running = JmxWatch.class.getDeclaredField("running");
        running.setAccessible(true);

        for (int round = 0; round < ROUNDS; round++) {
            int edge = edge();
            int first = edge;
            while (first > 0 && !attempt(first)) {
                first -= STRIDE;
            }
            for (int depth = first + AROUND; depth > first - AROUND; depth--) {
                attempt(depth);
            }
        }
        System.out.println("attempts " + attempts + ", returned " + returnedCount + ", overflowed " + overflowed);
        check(returnedCount > 0 && overflowed > 0, "the attempts met both sides of the edge");

        ManagementFactory.getPlatformMBeanServer();
        watch.transform(null, null, "com/sun/jmx/Probe", null, null, new byte[0]);
        check(ACTION.await(60, java.util.concurrent.TimeUnit.SECONDS), "the action ran once a server was up");
        System.out.println("RESULT ok");
    }

    /** One transform of a com.sun.jmx class, {@code depth} frames deep on a fresh thread; whether it returned. */
    private static boolean attempt(int depth) throws Exception {
        attempts++;
        returned = false;
        Thread t = new Thread(null, () -> {
            try {
                down(depth);
            } catch (StackOverflowError e) {
                // the recursion itself, or what came out of the transformer
            }
        }, "jmx-edge-" + attempts, STACK_BYTES);
        t.start();
        t.join();
        for (Thread looking : Thread.getAllStackTraces().keySet()) {
            if (looking.getName().equals("jlivepatch-jmx")) {
                looking.join();
            }
        }
        boolean left;
        synchronized (watch) { // the monitor that guards it
            left = running.getBoolean(watch);
        }
        check(!left, "a look is left marked running with no thread, after a class " + depth + " frames deep");
        if (returned) {
            returnedCount++;
            return true;
        }
        overflowed++;
        return false;
    }

    private static int edge() throws InterruptedException {
        reached = START;
        Thread t = new Thread(null, () -> {
            try {
                down(START);
            } catch (StackOverflowError e) {
                // expected
            }
        }, "jmx-edge", STACK_BYTES);
        t.start();
        t.join();
        return START - reached;
    }

    private static void down(int left) {
        if (left > 0) {
            reached = left;
            down(left - 1);
            return;
        }
        if (left == 0 && reached != START) {
            watch.transform(null, null, "com/sun/jmx/Probe", null, null, null);
            returned = true;
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }
}
