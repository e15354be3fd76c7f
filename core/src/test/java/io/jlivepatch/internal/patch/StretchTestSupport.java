package io.jlivepatch.internal.patch;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/** What the tests of counted stretches share: the warnings logged, and waiting for activation to wait. */
final class StretchTestSupport {

    private StretchTestSupport() {
    }

    /** Collects the WARNING messages of the loggers it is added to. */
    static final class Warnings extends Handler {
        final List<String> seen = new CopyOnWriteArrayList<>();

        @Override
        public void publish(LogRecord r) {
            if (r.getLevel() == Level.WARNING) {
                seen.add(r.getMessage());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
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
}
