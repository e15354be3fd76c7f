package io.jlivepatch.internal.patch;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What the tests of counted stretches share: waiting for activation to wait, a thread holding a
 * stretch (the warnings logged: {@link WarningsLogged}).
 */
final class StretchTestSupport {

    private StretchTestSupport() {
    }

    /**
     * Waits (a hang detector: about a minute) until {@code t} waits in {@link UnmarkedStretches#awaitUnadopted};
     * {@code null} then, else what went wrong.
     */
    static String awaitWaiting(Thread t) throws InterruptedException {
        for (int i = 0; i < 60_000; i++) {
            if (!t.isAlive()) {
                return "'" + t.getName() + "' ended without waiting for the stretch";
            }
            if (t.getState() == Thread.State.TIMED_WAITING) {
                for (StackTraceElement e : t.getStackTrace()) {
                    if (e.getClassName().equals(UnmarkedStretches.class.getName())
                            && e.getMethodName().equals("awaitUnadopted")) {
                        return null;
                    }
                }
            }
            Thread.sleep(1);
        }
        return "'" + t.getName() + "' never waited for the stretch";
    }

    /** A failed check in a driver's JVM: says so to the test ({@code ChildJvm}) and ends that JVM at once. */
    static void checkInChild(boolean ok, String what) {
        if (!ok) {
            System.out.println("RESULT fail: " + what);
            System.out.flush();
            Runtime.getRuntime().halt(1);
        }
    }

    /**
     * Whether no thread is marked, asked again for up to 30 s while one is: jlivepatch's own threads
     * (the log's publisher, the relaxer's start) may hold a mark for a moment after the driver's
     * threads ended, as GuardSwitchTest's relax() allows; a mark that was left stays for good.
     */
    static boolean noMarkLeft() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!RecursionGuard.relaxNow()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    /**
     * A thread in a stretch begun (RecursionGuard.enterIfActive) before activation, until
     * {@code release}; then one more stretch, which activation has made a normal, marked one. Its
     * checks end the driver's JVM when they fail ({@link #checkInChild}).
     */
    static final class HeldStretch implements Runnable {
        final Thread thread;
        private final CountDownLatch begun = new CountDownLatch(1);
        private final CountDownLatch release;
        /** Whether the thread was marked in its first stretch once released: "marked" or "unmarked". */
        volatile String during = "not reached";
        /** The mark of the stretch after the first one. */
        volatile int after = Integer.MIN_VALUE;

        /** Starts the thread and returns once its stretch has begun. */
        HeldStretch(String name, CountDownLatch release) throws InterruptedException {
            this.release = release;
            thread = new Thread(this, name);
            thread.setDaemon(true);
            thread.start();
            checkInChild(begun.await(60, TimeUnit.SECONDS), name + " began its stretch");
        }

        @Override
        public void run() {
            int m = RecursionGuard.enterIfActive();
            checkInChild(UnmarkedStretches.isStretch(m), "before activation enterIfActive counts: " + m);
            checkInChild(!RecursionGuard.inside(), "nothing is marked before activation");
            begun.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            during = RecursionGuard.inside() ? "marked" : "unmarked";
            RecursionGuard.exit(m);
            checkInChild(!RecursionGuard.inside(), "the end of the stretch unmarks it");
            int m2 = RecursionGuard.enterIfActive(); // after activation: the normal enter
            checkInChild(RecursionGuard.inside(), "a stretch begun after activation is marked");
            RecursionGuard.exit(m2);
            checkInChild(!RecursionGuard.inside(), "exit unmarks it");
            after = m2;
        }
    }
}
