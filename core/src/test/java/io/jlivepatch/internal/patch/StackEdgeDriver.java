package io.jlivepatch.internal.patch;

import io.jlivepatch.internal.bootstrap.Recursion;
import net.bytebuddy.agent.ByteBuddyAgent;

/**
 * Run in a fresh JVM by {@link StackEdgeTest}: threads with a small stack take and release marks of
 * jlivepatch's recursion guard close to their stack's edge, round after round (so that the JIT
 * compiles the guard's paths meanwhile, each state its own frame sizes): each round goes up from the
 * edge, every {@link #STRIDE} frames, to the first depth where the guard takes a mark, then tries
 * every depth within {@link #AROUND} frames of it, where the stack left is just what a mark needs;
 * no mark may outlive its stretch. {@code marks}: jlivepatch active, {@link RecursionGuard#enter()}
 * and {@link RecursionGuard#exit}; after every attempt the thread must be unmarked, and a mark taken
 * must have marked it. {@code stretches}: jlivepatch installed but not active,
 * {@link RecursionGuard#enterIfActive()} (a counted stretch) and its exit; then the activation, which
 * would mark the thread for good for a stretch whose end was lost. {@code adopt}: jlivepatch active,
 * the guard folded to its constant before each attempt, and {@code Recursion.enterFor} (what the
 * activation uses to mark another thread's stretch), whose claim then also sets the guard back.
 * Every mode: at the end the guard must fold to its constant (no mark left), and the attempts must
 * have met both the depths where the guard takes marks and those where it refuses them
 * ({@code NO_STACK}: no room left for the exit). Before the guard refused marks at the edge, the
 * first round left a thread marked. Prints {@code RESULT ok}.
 */
public final class StackEdgeDriver {

    private static final int STACK_BYTES = 256 * 1024;
    private static final int ROUNDS = 40;
    /** How far apart the depths are while looking for the first one where a mark (or stretch) is taken. */
    private static final int STRIDE = 16;
    /** Frames above that depth (and one fewer below), tried one by one: wider than the stride. */
    private static final int AROUND = 24;
    private static final int START = 1_000_000;

    // Each written by one attempt's thread, read after its join.
    private static volatile int reached;
    /** Whether enter returned at the bottom (else the stack overflowed before or inside it). */
    private static volatile boolean returned;
    private static volatile int lastMark;
    private static volatile boolean lastMarked;
    private static volatile boolean stillMarked;

    private static int taken;
    private static int refused;
    private static int overflowed;

    private StackEdgeDriver() {
    }

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        boolean stretches = mode.equals("stretches");
        HookManager.install(ByteBuddyAgent.install());
        if (!stretches) {
            RecursionGuard.exit(RecursionGuard.enter()); // activates jlivepatch
        }
        for (int round = 0; round < ROUNDS; round++) {
            // Measured again each round: the frames' sizes change as the JIT compiles.
            int edge = edge(mode);
            int first = edge;
            while (first > 0 && !attempt(first, mode)) {
                first -= STRIDE;
            }
            for (int depth = first + AROUND; depth > first - AROUND; depth--) {
                attempt(depth, mode);
            }
            check(stretches || RecursionGuard.relaxNow(), "a mark is left after round " + round);
        }
        if (stretches) {
            RecursionGuard.exit(RecursionGuard.enter()); // activates jlivepatch: adopts any stretch left counted
        }
        check(RecursionGuard.relaxNow(), "a mark is left: no thread of this JVM is in jlivepatch's code any more");
        System.out.println("taken " + taken + ", refused " + refused + ", overflowed " + overflowed);
        check(taken > 0, "marks (or stretches) were taken near the edge");
        check(refused > 0, "the guard refused marks at the edge (NO_STACK)");
        System.out.println("RESULT ok");
    }

    /**
     * Takes and releases a mark {@code depth} frames deep on a fresh thread (so that every attempt
     * starts from the same stack, its guard pages in place); checks that a mark taken marked the
     * thread and that none is left. Returns whether one was taken.
     */
    private static boolean attempt(int depth, String mode) throws InterruptedException {
        returned = false;
        lastMark = Integer.MIN_VALUE;
        lastMarked = false;
        stillMarked = false;
        Thread t = new Thread(null, () -> {
            if (mode.equals("adopt")) {
                // So that the claim has to set the guard back; no other thread is marked here.
                check(RecursionGuard.relaxNow(), "the guard folds before an attempt");
            }
            try {
                down(depth, mode);
            } catch (StackOverflowError e) {
                overflowed++;
            }
            stillMarked = RecursionGuard.inside();
        }, "jlivepatch-test-edge", STACK_BYTES);
        t.start();
        t.join();
        int m = lastMark;
        check(!stillMarked, "the thread is still marked after a stretch " + depth + " frames deep ended (mark " + m + ")");
        if (!returned) {
            return false; // overflowed before the guard answered
        }
        if (m == RecursionGuard.NO_STACK) {
            refused++;
            return false;
        }
        if (m >= 0 || UnmarkedStretches.isStretch(m)) {
            taken++;
            check(m < 0 || lastMarked, "a mark taken " + depth + " frames deep did not mark the thread");
            return true;
        }
        return false;
    }

    /** How deep {@link #down} goes on a fresh thread before its stack overflows. */
    private static int edge(String mode) throws InterruptedException {
        reached = START;
        Thread t = new Thread(null, () -> {
            try {
                down(START, mode);
            } catch (StackOverflowError e) {
                // expected
            }
        }, "jlivepatch-test-edge", STACK_BYTES);
        t.start();
        t.join();
        return START - reached;
    }

    private static void down(int left, String mode) {
        if (left > 0) {
            reached = left;
            down(left - 1, mode);
            return;
        }
        boolean adopt = mode.equals("adopt");
        int m = adopt ? Recursion.enterFor(Thread.currentThread())
                : mode.equals("stretches") ? RecursionGuard.enterIfActive() : RecursionGuard.enter();
        lastMark = m;
        returned = true;
        try {
            lastMarked = m >= 0 && RecursionGuard.inside();
        } finally {
            if (adopt) {
                Recursion.exit(m);
            } else {
                RecursionGuard.exit(m);
            }
        }
    }

    private static void check(boolean ok, String what) {
        StretchTestSupport.checkInChild(ok, what);
    }
}
