package io.jlivepatch;

import io.jlivepatch.internal.patch.RecursionGuard;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import testapp.GuardSwitch;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hooks' recursion guard folds to a constant while jlivepatch is idle (issue 14) and goes back
 * to the per-thread check as soon as a thread is marked: whichever state it is in, and however
 * often it switches, a marked thread runs the original method and an unmarked one the replacement,
 * at the same time, from interpreted and from compiled callers alike.
 */
class GuardSwitchTest {

    private static final int ROUNDS = 20;
    /** Enough calls of GuardSwitch.sum's loop for C2 to compile it with the hook inlined. */
    private static final int HOT = 20_000;

    public static int value(GuardSwitch self, int x) {
        return x + 1000;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    @Test
    void aMarkedThreadRunsTheOriginalAndAnUnmarkedOneTheReplacementAcrossSwitches() throws Exception {
        GuardSwitch target = new GuardSwitch();
        PatchHandle h = livepatch().register(Patch.builder("guard-switch")
                .replace(method(GuardSwitch.class, "value", int.class),
                        method(GuardSwitchTest.class, "value", GuardSwitch.class, int.class))
                .build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)), "the transition completes");
        ExecutorService marked = Executors.newSingleThreadExecutor();
        try {
            for (int round = 0; round < ROUNDS; round++) {
                assertTrue(relax(), "round " + round + ": the guard becomes the constant once no thread is marked");
                assertEquals(1001, target.value(1), "round " + round + ": unmarked, constant guard");
                assertEquals(1001 * HOT, target.sum(HOT), "round " + round + ": unmarked, compiled caller");

                CountDownLatch markedIn = new CountDownLatch(1);
                CountDownLatch unmarkedDone = new CountDownLatch(1);
                int r = round;
                Future<?> inside = marked.submit(() -> {
                    assertEquals(1001 * HOT, target.sum(HOT), "before the mark, this thread runs the replacement");
                    int mark = RecursionGuard.enter();
                    try {
                        assertTrue(RecursionGuard.inside());
                        assertFalse(RecursionGuard.guardNow(), "round " + r + ": the marked thread's guard");
                        assertEquals(1, target.value(1), "round " + r + ": a marked thread runs the original");
                        assertEquals(HOT, target.sum(HOT), "round " + r + ": also from a compiled caller");
                        markedIn.countDown();
                        // Still marked while the other thread calls: both answers at the same time.
                        assertTrue(unmarkedDone.await(30, TimeUnit.SECONDS));
                        assertEquals(HOT, target.sum(HOT), "round " + r + ": still the original");
                    } finally {
                        RecursionGuard.exit(mark);
                    }
                    assertEquals(1001, target.value(1), "round " + r + ": after its exit, the replacement");
                    return null;
                });
                assertTrue(markedIn.await(30, TimeUnit.SECONDS), "the other thread is marked");
                assertFalse(RecursionGuard.guardIsConstant(), "round " + round + ": a mark sets the check back");
                assertTrue(RecursionGuard.guardNow(), "round " + round + ": an unmarked thread's guard");
                assertEquals(1001, target.value(1), "round " + round + ": unmarked while another is marked");
                assertEquals(1001 * HOT, target.sum(HOT), "round " + round + ": compiled, while another is marked");
                unmarkedDone.countDown();
                inside.get(30, TimeUnit.SECONDS);
            }
        } finally {
            marked.shutdownNow();
        }
    }

    @Test
    void theGuardNeverBecomesTheConstantWhileAThreadIsMarked() throws Exception {
        livepatch(); // installs the guard (before that, enter() marks nothing)
        int mark = RecursionGuard.enter();
        try {
            assertFalse(RecursionGuard.relaxNow(), "a marked thread keeps the check");
            assertFalse(RecursionGuard.guardIsConstant());
            assertFalse(RecursionGuard.guardNow());
        } finally {
            RecursionGuard.exit(mark);
        }
    }

    public static int lateValue(testapp.guard.LateHooked self, int x) {
        return x + 2000;
    }

    @Test
    void definingAClassNoPatchHooksKeepsTheConstantAndDefiningAHookedOneDoesNot() throws Exception {
        // Classes of their own (testapp.guard): the copies defined here stay in this JVM, and other
        // tests' patches must not find them.
        PatchHandle h = livepatch().register(Patch.builder("guard-switch-loads")
                .replace(method(testapp.guard.LateHooked.class, "value", int.class),
                        method(GuardSwitchTest.class, "lateValue", testapp.guard.LateHooked.class, int.class))
                .build());
        h.enable();
        assertTrue(h.awaitTransition(Duration.ofSeconds(30)), "the transition completes");
        // Another thread of jlivepatch's may mark itself meanwhile and take the constant off: the
        // class definition must keep it at least once (without the fix it never does).
        boolean kept = false;
        for (int round = 0; round < 20 && !kept; round++) {
            assertTrue(relax(), "the guard becomes the constant");
            IsolatingLoader.of("guard-plain-" + round, "testapp.guard.Plain").define("testapp.guard.Plain");
            kept = RecursionGuard.guardIsConstant();
        }
        assertTrue(kept, "defining a class that no patch hooks took the guard off its constant every time");
        assertTrue(relax(), "the guard becomes the constant");
        Class<?> hooked = IsolatingLoader.of("guard-late-hooked", "testapp.guard.LateHooked")
                .define("testapp.guard.LateHooked");
        assertEquals("testapp.guard.LateHooked", hooked.getName());
        assertFalse(RecursionGuard.guardIsConstant(), "hooking a class at its definition runs jlivepatch's code,"
                + " marked: the guard is the per-thread check again");
    }

    /** The guard made the constant, retried while some thread of jlivepatch's own is briefly marked. */
    private static boolean relax() throws InterruptedException {
        for (int i = 0; i < 3000; i++) {
            if (RecursionGuard.relaxNow()) {
                return RecursionGuard.guardIsConstant();
            }
            Thread.sleep(10);
        }
        return false;
    }
}
