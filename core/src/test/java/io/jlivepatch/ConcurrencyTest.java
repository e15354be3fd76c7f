package io.jlivepatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import testapp.race.Counter;
import testapp.race.Labeler;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Threads call two patched methods in tight loops while patches go on and off hundreds of times:
 * no call may fail, and every result must be one that the original or some patch produces.
 */
class ConcurrencyTest {

    private static final int CALLERS = 4;
    /** Rounds in which the bottom patch goes on (hooks added) and off (hooks removed). */
    private static final int HOOK_ROUNDS = 10;
    /** Per round, times the top patch is stacked on the bottom one and taken off again. */
    private static final int STACK_CYCLES = 10;

    public static int valueA(int x) {
        return x + 1000;
    }

    public static int valueB(int x) {
        return x + 2000;
    }

    public static String labelA(Labeler l, long id) {
        return "a-" + id;
    }

    public static String labelB(Labeler l, long id) {
        return "b-" + id;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    private static Patch patch(String name, String value, String label) {
        return Patch.builder(name)
                .replace(method(Counter.class, "value", int.class), method(ConcurrencyTest.class, value, int.class))
                .replace(method(Labeler.class, "label", long.class),
                        method(ConcurrencyTest.class, label, Labeler.class, long.class))
                .build();
    }

    @Test
    void callsNeverFailNorSeeAValueNoPatchProducesWhilePatchesGoOnAndOff() throws Exception {
        PatchHandle a = livepatch().register(patch("race-a", "valueA", "labelA"));
        PatchHandle b = livepatch().register(patch("race-b", "valueB", "labelB"));

        AtomicBoolean done = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(CALLERS);
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        AtomicLong calls = new AtomicLong();
        long[][] seen = new long[CALLERS][3]; // per caller: original, a, b results of value()
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < CALLERS; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                Labeler labeler = new Labeler();
                long n = 0;
                started.countDown();
                while (!done.get()) {
                    n++;
                    int x = (int) (n & 0xFF);
                    try {
                        int v = Counter.value(x);
                        int which = (v - x) / 1000;
                        if (v - x != which * 1000 || which < 0 || which > 2) {
                            problems.add("value(" + x + ") returned " + v);
                        } else {
                            seen[id][which]++;
                        }
                        String s = labeler.label(n);
                        if (!s.equals("orig-" + n) && !s.equals("a-" + n) && !s.equals("b-" + n)) {
                            problems.add("label(" + n + ") returned " + s);
                        }
                    } catch (Throwable e) {
                        problems.add("call threw " + e);
                        e.printStackTrace();
                    }
                    if (problems.size() > 20) {
                        break;
                    }
                    if ((n & 0xFFF) == 0) {
                        Thread.yield(); // on a small machine, leave the patching thread some CPU
                    }
                }
                calls.addAndGet(n);
            }, "race-caller-" + t);
            th.setDaemon(true);
            callers.add(th);
            th.start();
        }
        started.await();
        long t0 = System.nanoTime();
        try {
            for (int round = 0; round < HOOK_ROUNDS; round++) {
                // Each operation starts a transition; the next one is BUSY until it has ended.
                settle(a, a::enable);
                for (int i = 0; i < STACK_CYCLES; i++) {
                    settle(b, b::enable);
                    settle(b, b::disable);
                }
                settle(a, a::disable);
            }
        } finally {
            done.set(true);
            for (Thread th : callers) {
                th.join(10_000);
                assertFalse(th.isAlive(), th.getName() + " did not stop");
            }
        }
        assertEquals(List.of(), new ArrayList<>(problems));
        assertTrue(calls.get() > 0);
        assertEquals(7, Counter.value(7));
        assertEquals("orig-7", new Labeler().label(7));
        long[] total = new long[3];
        for (long[] s : seen) {
            for (int i = 0; i < 3; i++) {
                total[i] += s[i];
            }
        }
        System.out.printf("ConcurrencyTest: %d life-cycle operations in %d ms; %d calls per method;"
                        + " value() results original/a/b: %d/%d/%d%n", HOOK_ROUNDS * (2 + 2 * STACK_CYCLES),
                (System.nanoTime() - t0) / 1_000_000, calls.get(), total[0], total[1], total[2]);
    }

    private interface Operation {
        void run() throws PatchException;
    }

    private static void settle(PatchHandle h, Operation op) throws Exception {
        op.run();
        assertTrue(h.awaitTransition(java.time.Duration.ofSeconds(30)), h.name() + " transition did not end");
    }
}
