package io.jlivepatch.internal.transition;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A transition forgets the threads that ended, whatever their state: while one is held open, a
 * server that starts a thread per request passes every new thread through a hook, and each would
 * stay in the transition's map, walked by every pass of its worker, until the transition ends (a
 * review counted 20,000 kept).
 */
class EndedThreadsTest {

    static final class Target {
        static void run() {
        }
    }

    @Test
    void aWorkerPassForgetsEveryThreadThatEnded() throws Throwable {
        Transition t = new Transition("p", List.<String[]>of(new String[] {Target.class.getName(), "run", "()V"}), true);
        t.start();
        int before = t.threadsKnown();
        int threads = 200;
        Throwable[] failed = new Throwable[1];
        for (int i = 0; i < threads; i++) {
            Thread th = new Thread(() -> {
                try {
                    // a hook's pass: met for the first time, in the target state (it started after the transition)
                    boolean patched = (boolean) t.passHook().invokeExact();
                    assertTrue(patched);
                } catch (Throwable e) {
                    failed[0] = e;
                }
            });
            th.start();
            th.join();
        }
        if (failed[0] != null) {
            throw failed[0];
        }
        assertTrue(t.threadsKnown() >= before + threads, "each thread met at a hook has a word: " + t.threadsKnown());
        t.tryMoveAll();
        assertTrue(t.threadsKnown() <= before, "ended threads forgotten: " + t.threadsKnown() + ", " + before + " before");
        assertFalse(t.threadsKnown() == 0, "the live threads stay");
    }
}
