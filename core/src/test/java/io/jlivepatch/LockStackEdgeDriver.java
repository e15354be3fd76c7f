package io.jlivepatch;

import io.jlivepatch.internal.patch.RecursionGuard;

import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Run in a fresh JVM by {@link LockStackEdgeTest}: code that takes jlivepatch's lock on an application
 * thread, at whatever depth its stack is, never leaves it held when the stack overflows. Threads with
 * a small stack make the call close to their stack's edge, depth after depth, round after round (the
 * JIT compiles meanwhile, each state its own frame sizes); after every attempt, whether it returned or
 * overflowed, the lock must not be held by the thread, which has ended. {@code late}: the first call of
 * a class defined while a patch with callbacks for it is enabled (each attempt a copy of the class of
 * its own, so that each is a first call), which runs those callbacks under the lock. {@code enable}:
 * an operation of the API (an enable of the enabled patch, refused), as a patch's replacement deep in
 * a recursion may ask. Before, an overflow between the lock's acquisition and its release's
 * {@code try} left it held for good, and every later operation waited for ever (a command: BUSY): in
 * the first attempts at the edge for {@code late}, on JDK 25 for {@code enable}. {@code link}: as
 * {@code late}, the class's hook not linked before, so that its first call links it at that depth.
 * Every mode: after each attempt, a call with room on the stack runs the patch. Before, a hook whose
 * link overflowed ran the original code for good, while status said PATCHED (a third of the link
 * attempts that returned). Prints {@code RESULT ok}.
 */
public final class LockStackEdgeDriver {

    private static final String LATE = "cbapp.Late";
    private static final int STACK_BYTES = 256 * 1024;
    private static final int ROUNDS = 5;
    private static final int STRIDE = 8;
    private static final int AROUND = 24;
    private static final int START = 1_000_000;

    private static final AtomicInteger PRE_PATCHES = new AtomicInteger();

    /** {@code late}, {@code enable} or {@code link}; and the patch (both written before the attempts' threads start). */
    private static String mode;
    private static PatchHandle handle;

    private static volatile int reached;
    private static volatile String answer;
    private static int loaders;
    private static int returned;
    private static int overflowed;

    private LockStackEdgeDriver() {
    }

    public static String lateGet(Object self) {
        return "patched";
    }

    public static void main(String[] args) throws Exception {
        mode = args[0];
        Livepatch lp = TestSupport.livepatch();
        PatchHandle h = lp.register(Patch.builder("lock-edge")
                .replace(LATE, "get", "()Ljava/lang/String;",
                        LockStackEdgeDriver.class.getMethod("lateGet", Object.class))
                .callbacks(LATE, new Callbacks() {
                    @Override
                    public void prePatch(Class<?> target) {
                        PRE_PATCHES.incrementAndGet();
                    }
                }).build());
        h.enable();
        check(h.awaitTransition(java.time.Duration.ofSeconds(30)), "the enable completes");
        handle = h;
        ReentrantLock klpMutex = klpMutex();
        for (int round = 0; round < ROUNDS; round++) {
            int edge = edge();
            // The attempts' frames may be larger than the probe's (a new class at the bottom each time
            // deoptimizes the recursion), their edge far below its: steps that double, then halving
            // back to the last depth that did not return, find it in a few dozen attempts where a
            // fixed stride took thousands (each a class and a relink: a CI run past its 300 s).
            int first = edge;
            int failed = edge;
            int step = STRIDE;
            while (first > 0 && !attempt(first, klpMutex)) {
                failed = first;
                first = Math.max(0, first - step);
                step *= 2;
            }
            while (failed - first > STRIDE) {
                int mid = (first + failed) >>> 1;
                if (attempt(mid, klpMutex)) {
                    first = mid;
                } else {
                    failed = mid;
                }
            }
            for (int depth = first + AROUND; depth > first - AROUND; depth--) {
                attempt(depth, klpMutex);
            }
        }
        System.out.println("classes " + loaders + ", returned " + returned + ", overflowed " + overflowed
                + ", prePatch " + PRE_PATCHES.get());
        check(returned > 0 && overflowed > 0, "the attempts met both sides of the edge");
        System.out.println("RESULT ok");
    }

    /**
     * The first call of a new copy of the class, {@code depth} frames deep on a fresh thread; whether
     * it returned. Its call sites are linked before, on this thread (marked: the original runs and no
     * callback), so that the attempt's depth decides where the callbacks' run overflows, not the link.
     */
    private static boolean attempt(int depth, ReentrantLock klpMutex) throws Exception {
        IsolatingLoader loader = IsolatingLoader.of("lock-edge-" + loaders++, LATE);
        @SuppressWarnings("unchecked")
        Supplier<String> late = (Supplier<String>) loader.define(LATE).getDeclaredConstructor().newInstance();
        if (!mode.equals("link")) {
            int mark = RecursionGuard.enter();
            try {
                late.get();
            } finally {
                RecursionGuard.exit(mark);
            }
        }
        answer = null;
        Thread t = new Thread(null, () -> {
            try {
                down(depth, late);
            } catch (StackOverflowError e) {
                overflowed++;
            }
        }, "lock-edge-attempt-" + loaders, STACK_BYTES);
        t.start();
        t.join();
        // By the ended thread: another of jlivepatch's threads may take it a moment (the link-failure audit).
        check(!klpMutex.toString().endsWith("[Locked by thread " + t.getName() + "]"),
                "jlivepatch's lock is held by a thread that ended, after a first call " + depth + " frames deep");
        // Whatever happened at the edge, the patch runs for the class from a call with room on.
        check("patched".equals(late.get()), "a call after one " + depth + " frames deep runs the original code");
        if (answer != null) {
            returned++;
            return true;
        }
        return false;
    }

    private static int edge() throws InterruptedException {
        reached = START;
        Thread t = new Thread(null, () -> {
            try {
                down(START, null);
            } catch (StackOverflowError e) {
                // expected
            }
        }, "lock-edge", STACK_BYTES);
        t.start();
        t.join();
        return START - reached;
    }

    private static void down(int left, Supplier<String> late) {
        if (left > 0) {
            reached = left;
            down(left - 1, late);
            return;
        }
        if (late != null) {
            if (mode.equals("enable")) {
                try {
                    handle.enable();
                } catch (PatchException e) {
                    answer = e.reason().name(); // ILLEGAL_STATE: enabled already
                }
            } else {
                answer = late.get();
            }
        }
    }

    private static ReentrantLock klpMutex() throws ReflectiveOperationException {
        Field f = io.jlivepatch.internal.core.PatchRegistry.class.getDeclaredField("klpMutex");
        f.setAccessible(true);
        return (ReentrantLock) f.get(RegistryAccess.get());
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            System.out.println("FAILED: " + what);
            System.exit(1);
        }
    }
}
