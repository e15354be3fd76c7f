package io.jlivepatch.internal.patch;

import net.bytebuddy.agent.ByteBuddyAgent;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * Run in a fresh JVM by {@link StretchActivationTest}: jlivepatch installed (not active), a
 * background thread in a stretch begun by {@link RecursionGuard#enterIfActive()}, then another
 * thread, itself in such a stretch, activates jlivepatch ({@link RecursionGuard#enter()}).
 * {@code waits}: activation's bound is long; it waits for the other thread's stretch and not for its
 * own (which it marks from then on), and stretches begun after it are marked. {@code bounded}: the bound is 1 ms; activation gives
 * up on the stretch, logs a WARNING naming its thread, and completes. Prints {@code RESULT ok}.
 */
public final class StretchActivationDriver {

    private static final StretchTestSupport.Warnings WARNINGS = new StretchTestSupport.Warnings();

    private StretchActivationDriver() {
    }

    public static void main(String[] args) throws Exception {
        boolean bounded = args[0].equals("bounded");
        Logger.getLogger("io.jlivepatch").addHandler(WARNINGS);
        // Long: a hang detector (the child's own is shorter), so only the stretch's end can end the wait.
        RecursionGuard.stretchWait(bounded ? TimeUnit.MILLISECONDS.toNanos(1) : TimeUnit.MINUTES.toNanos(10));
        HookManager.install(ByteBuddyAgent.install());

        CountDownLatch begun = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger before = new AtomicInteger();
        AtomicInteger after = new AtomicInteger();
        Thread background = new Thread(() -> {
            int m = RecursionGuard.enterIfActive();
            before.set(m);
            begun.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            check(!RecursionGuard.inside(), "a stretch begun before activation is not marked");
            RecursionGuard.exit(m);
            int m2 = RecursionGuard.enterIfActive(); // after activation: the normal enter
            after.set(m2);
            check(RecursionGuard.inside(), "a stretch begun after activation is marked");
            RecursionGuard.exit(m2);
            check(!RecursionGuard.inside(), "exit unmarks it");
        }, "jlivepatch-test-background");
        background.setDaemon(true);
        background.start();
        check(begun.await(60, TimeUnit.SECONDS), "the background stretch began");
        check(UnmarkedStretches.isStretch(before.get()), "before activation enterIfActive counts: " + before.get());

        AtomicInteger activated = new AtomicInteger(Integer.MIN_VALUE);
        Thread activating = new Thread(() -> {
            int own = RecursionGuard.enterIfActive(); // its own stretch: activation must not wait for it
            check(UnmarkedStretches.isStretch(own), "the activating thread's stretch is counted: " + own);
            int m = RecursionGuard.enter(); // activates jlivepatch
            check(RecursionGuard.inside(), "enter marks once activated");
            RecursionGuard.exit(m);
            // Activation marked the rest of this thread's own stretch, which goes on after it.
            check(RecursionGuard.inside(), "the activating thread's own stretch is marked after activation");
            RecursionGuard.exit(own);
            check(!RecursionGuard.inside(), "the end of its stretch unmarks it");
            activated.set(1);
        }, "jlivepatch-test-activating");
        activating.start();
        if (bounded) {
            activating.join(TimeUnit.MINUTES.toMillis(2));
            check(activated.get() == 1, "activation completed while the stretch still ran");
            check(WARNINGS.seen.size() == 1 && WARNINGS.seen.get(0).contains("'jlivepatch-test-background'")
                    && WARNINGS.seen.get(0).contains("began before jlivepatch installed its hooks"), "the warning: " + WARNINGS.seen);
            release.countDown();
        } else {
            String notWaiting = StretchTestSupport.awaitWaiting(activating);
            check(notWaiting == null, notWaiting);
            check(activated.get() == Integer.MIN_VALUE, "activation ended before the stretch");
            release.countDown();
            activating.join(TimeUnit.MINUTES.toMillis(2));
            check(activated.get() == 1, "activation completed once the stretch ended");
            check(WARNINGS.seen.isEmpty(), "no warning: " + WARNINGS.seen);
        }
        background.join(TimeUnit.MINUTES.toMillis(2));
        check(!background.isAlive() && after.get() >= 0, "the background thread's stretch after activation: " + after.get());
        System.out.println("RESULT ok");
    }

    private static void check(boolean ok, String what) {
        StretchTestSupport.checkInChild(ok, what);
    }
}
