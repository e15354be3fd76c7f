package launcher;

import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * {@link LateLauncher} with jlivepatch's wait for start-up patches shortened to {@code args[1]} seconds
 * (the agent JAR is on the class path, so the attach's classes are these), and a thread that sits in
 * {@link #sit} for good from before the attach: a patch that holds that method never ends its transition.
 * With {@code args[2]} and {@code args[3]}: an application that interrupts jlivepatch's waiting thread
 * once it is parked in the method {@code args[2]} ({@code run}: its wait for a class loader,
 * {@code awaitTransition}: for a transition), and writes to the file {@code args[3]} whether the
 * thread was then parked there again with the interrupt cleared ({@code cleared}) or not.
 */
public final class ShortWaitLauncher {

    private static final String WAITING_THREAD = "jlivepatch-startup-wait";

    private ShortWaitLauncher() {
    }

    public static void main(String[] args) throws Exception {
        Method wait = Class.forName("io.jlivepatch.agent.WaitingStartupPatches")
                .getDeclaredMethod("waitForTests", Duration.class);
        wait.setAccessible(true);
        wait.invoke(null, Duration.ofSeconds(Long.parseLong(args[1])));
        CountDownLatch sitting = new CountDownLatch(1);
        Thread sitter = new Thread(() -> sit(sitting), "sitter");
        sitter.setDaemon(true);
        sitter.start();
        sitting.await(); // in sit() before anything is attached: on its stack for every transition to come
        if (args.length > 3) {
            Thread interrupter = new Thread(() -> interruptAndLook(args[2], Path.of(args[3])), "interrupter");
            interrupter.setDaemon(true);
            interrupter.start();
        }
        LateLauncher.main(new String[] {args[0]});
    }

    static void sit(CountDownLatch sitting) {
        sitting.countDown();
        while (true) {
            LockSupport.park();
        }
    }

    /** Interrupts the waiting thread once parked in {@code method}, then writes what it did with that. */
    private static void interruptAndLook(String method, Path verdict) {
        String what;
        try {
            Thread waiting = awaitParkedIn(method);
            if (waiting == null) {
                what = "never parked in " + method;
            } else {
                waiting.interrupt();
                what = "still interrupted or not parked in " + method;
                // A hang detector, not a timing: with the interrupt cleared it parks again at once.
                for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); System.nanoTime() - end < 0; ) {
                    if (parkedIn(waiting, method) && !waiting.isInterrupted()) {
                        what = "cleared";
                        break;
                    }
                    Thread.sleep(10);
                }
                if (!what.equals("cleared")) {
                    what += ": " + waiting.getState() + " interrupted=" + waiting.isInterrupted() + " "
                            + Arrays.toString(waiting.getStackTrace());
                }
            }
        } catch (InterruptedException e) {
            what = "interrupter interrupted";
        }
        try {
            Path part = Path.of(verdict + ".part");
            Files.writeString(part, what, StandardCharsets.UTF_8);
            Files.move(part, verdict); // whole, for the test that waits for it
        } catch (java.io.IOException e) {
            e.printStackTrace();
        }
    }

    /** jlivepatch's waiting thread, once parked in {@code method} (a minute at most), or null. */
    private static Thread awaitParkedIn(String method) throws InterruptedException {
        for (long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(1); System.nanoTime() - end < 0; ) {
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().equals(WAITING_THREAD) && parkedIn(t, method)) {
                    return t;
                }
            }
            Thread.sleep(10);
        }
        return null;
    }

    /** Whether {@code t} is parked (timed) with {@code method} of jlivepatch's on its stack below the park. */
    private static boolean parkedIn(Thread t, String method) {
        if (t.getState() != Thread.State.TIMED_WAITING) {
            return false;
        }
        StackTraceElement[] stack = t.getStackTrace();
        boolean parked = false;
        for (StackTraceElement e : stack) {
            if (e.getMethodName().equals("parkNanos")) {
                parked = true;
            } else if (parked && e.getMethodName().equals(method) && e.getClassName().startsWith("io.jlivepatch.")) {
                return true;
            }
        }
        return false;
    }
}
