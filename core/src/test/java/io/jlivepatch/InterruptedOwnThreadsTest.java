package io.jlivepatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import testapp.Greeter;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * jlivepatch's own threads that park between their rounds survive an application that interrupts
 * every thread ({@code Thread.getAllStackTraces().keySet().forEach(Thread::interrupt)}): each clears
 * the interrupt before it parks again. Left set, every park returns at once and the thread spins on a
 * core for the JVM's life. (The transition worker: TransitionWorkerTest; the control socket's
 * accepting thread: ControlSocketTest; the watch and the log's publisher: their own tests.)
 */
class InterruptedOwnThreadsTest {

    private static final long WAIT_S = 10;

    public static int twice(int x) {
        return 3 * x;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    @Test
    void theGuardsRelaxerAndTheLinkAuditClearAnInterruptAndParkAgain() throws Exception {
        PatchHandle h = TestSupport.livepatch().register(Patch.builder("interrupted-own-threads")
                .replace(TestSupport.method(Greeter.class, "twice", int.class),
                        TestSupport.method(InterruptedOwnThreadsTest.class, "twice", int.class))
                .build());
        h.enable(); // starts the link audit's thread; the relaxer runs since the activation
        assertTrue(h.awaitTransition(Duration.ofSeconds(WAIT_S)));
        for (String name : new String[] {"jlivepatch-guard-relaxer", "jlivepatch-link-audit"}) {
            Thread t = threadNamed(name);
            t.interrupt();
            // Only the thread itself can clear its interrupt status (the bound is a hang detector).
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_S);
            while (t.isInterrupted() && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
            assertFalse(t.isInterrupted(), name + " is still interrupted: its park returns at once, for ever");
            assertTrue(t.isAlive(), name);
        }
        assertEquals(9, Greeter.twice(3), "the patch still runs");
        h.disable();
        assertEquals(6, Greeter.twice(3));
    }

    private static Thread threadNamed(String name) {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals(name) && t.isAlive()) {
                return t;
            }
        }
        throw new AssertionError("no thread " + name);
    }
}
