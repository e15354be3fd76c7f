package io.jlivepatch.internal.patch;

import net.bytebuddy.agent.ByteBuddyAgent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Run in a fresh JVM by {@link StretchActivationTest}: jlivepatch installed (not active), background
 * threads in stretches begun by {@link RecursionGuard#enterIfActive()}, then another thread activates
 * jlivepatch ({@link RecursionGuard#enter()}). {@code adopts}: one background stretch, and the
 * activating thread in a stretch of its own; activation completes without waiting (its bound is ten
 * minutes: a wait is a hang the test reports), and both stretches are marked from then until they end.
 * {@code bounded}: seventeen background stretches, one more than the slots; activation marks the
 * sixteen it can tell apart, waits for the last one until its bound (1 ms) runs out, logs a WARNING
 * saying so, and completes. {@code race}: activation runs, and marks the stretch, in the instant
 * between a stretch's count and its look at the guard ({@link RecursionGuard#afterCount}), so the
 * stretch both is marked and sees the guard installed: it must carry that mark to its end, which
 * releases it. In every mode no mark is left at the end. Prints {@code RESULT ok}.
 */
public final class StretchActivationDriver {

    private static final WarningsLogged WARNINGS = new WarningsLogged();
    /** UnmarkedStretches' slots in RecursionGuard. */
    private static final int SLOTS = 16;

    private StretchActivationDriver() {
    }

    public static void main(String[] args) throws Exception {
        boolean bounded = args[0].equals("bounded");
        WARNINGS.start();
        RecursionGuard.stretchWait(bounded ? TimeUnit.MILLISECONDS.toNanos(1) : TimeUnit.MINUTES.toNanos(10));
        HookManager.install(ByteBuddyAgent.install());
        if (args[0].equals("race")) {
            race();
            check(StretchTestSupport.noMarkLeft(), "a mark is left: no thread of this JVM is in jlivepatch's code any more");
            System.out.println("RESULT ok");
            return;
        }

        CountDownLatch release = new CountDownLatch(1);
        List<StretchTestSupport.HeldStretch> background = new ArrayList<>();
        for (int i = 0; i < (bounded ? SLOTS + 1 : 1); i++) {
            // In order: each has begun its stretch before the next begins, so the last is the one past the slots.
            background.add(new StretchTestSupport.HeldStretch("jlivepatch-test-background-" + i, release));
        }

        AtomicInteger activated = new AtomicInteger(Integer.MIN_VALUE);
        Thread activating = new Thread(() -> {
            int own = bounded ? 0 : RecursionGuard.enterIfActive();
            check(bounded || UnmarkedStretches.isStretch(own), "the activating thread's stretch is counted: " + own);
            int m = RecursionGuard.enter(); // activates jlivepatch
            check(RecursionGuard.inside(), "enter marks once activated");
            RecursionGuard.exit(m);
            if (!bounded) {
                // Activation marked the rest of this thread's own stretch, which goes on after it.
                check(RecursionGuard.inside(), "the activating thread's own stretch is marked after activation");
                RecursionGuard.exit(own);
            }
            check(!RecursionGuard.inside(), "the end of its stretch unmarks it");
            activated.set(1);
        }, "jlivepatch-test-activating");
        activating.start();
        activating.join(TimeUnit.SECONDS.toMillis(60));
        check(activated.get() == 1, "activation completed while the stretches still ran");
        if (bounded) {
            check(WARNINGS.lines.size() == 1 && WARNINGS.lines.get(0).contains("(1 stretch(es) on threads not recorded (more at once than 16));")
                    && WARNINGS.lines.get(0).contains("began before jlivepatch installed its hooks"), "the warning: " + WARNINGS.lines);
        } else {
            check(WARNINGS.lines.isEmpty(), "no warning: " + WARNINGS.lines);
        }
        release.countDown();
        for (int i = 0; i < background.size(); i++) {
            StretchTestSupport.HeldStretch b = background.get(i);
            b.thread.join(TimeUnit.SECONDS.toMillis(60));
            check(!b.thread.isAlive(), b.thread.getName() + " ended");
            // The one past the slots was only counted: activation could not mark it.
            String expected = i < SLOTS ? "marked" : "unmarked";
            check(b.during.equals(expected), b.thread.getName() + ": its stretch after activation ran "
                    + b.during + ", not " + expected);
            check(b.after >= 0, b.thread.getName() + ": a stretch begun after activation takes a real mark: " + b.after);
        }
        check(StretchTestSupport.noMarkLeft(), "a mark is left: no thread of this JVM is in jlivepatch's code any more");
        System.out.println("RESULT ok");
    }

    /** See {@code race} in the class comment. */
    private static void race() throws Exception {
        AtomicInteger activated = new AtomicInteger(Integer.MIN_VALUE);
        java.util.concurrent.atomic.AtomicReference<String> hookRanOn = new java.util.concurrent.atomic.AtomicReference<>();
        RecursionGuard.afterCount = () -> {
            RecursionGuard.afterCount = null; // once: the activation below counts no stretch of its own
            hookRanOn.set(Thread.currentThread().getName());
            Thread activating = new Thread(() -> {
                int m = RecursionGuard.enter(); // activates jlivepatch, marking the counted stretch
                RecursionGuard.exit(m);
                activated.set(1);
            }, "jlivepatch-test-activating");
            activating.start();
            try {
                activating.join(TimeUnit.SECONDS.toMillis(60));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            check(activated.get() == 1, "activation completed while the stretch was between its count and its look");
        };
        AtomicInteger mark = new AtomicInteger(Integer.MIN_VALUE);
        Thread racing = new Thread(() -> {
            int m = RecursionGuard.enterIfActive();
            mark.set(m);
            check(m >= 0, "the stretch carries the mark activation gave it, to release at its end: " + m);
            check(RecursionGuard.inside(), "the stretch is marked");
            RecursionGuard.exit(m);
            check(!RecursionGuard.inside(), "the end of the stretch releases the mark");
        }, "jlivepatch-test-racing");
        racing.start();
        racing.join(TimeUnit.SECONDS.toMillis(60));
        check(!racing.isAlive() && mark.get() >= 0, "the racing stretch ended: " + mark.get());
        check("jlivepatch-test-racing".equals(hookRanOn.get()), "the activation ran inside the racing stretch's"
                + " window, not on " + hookRanOn.get());
    }

    private static void check(boolean ok, String what) {
        StretchTestSupport.checkInChild(ok, what);
    }
}
