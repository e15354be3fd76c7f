package io.jlivepatch.internal.control;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What counts as a spin of a wait that returns with nothing to do, and what does not. */
class EmptyWakeupsTest {

    @AfterEach
    void restore() {
        EmptyWakeups.pausesForTests(Duration.ofMillis(EmptyWakeups.FIRST_PAUSE_MILLIS),
                Duration.ofMillis(EmptyWakeups.MAX_PAUSE_MILLIS));
    }

    @Test
    void wakeUpsInARowPauseAfterTheFreeOnesDoublingUpToTheLongest() {
        EmptyWakeups.pausesForTests(Duration.ofMillis(1), Duration.ofMillis(8));
        EmptyWakeups w = new EmptyWakeups();
        for (int i = 0; i < EmptyWakeups.FREE; i++) {
            w.woke(false);
            assertEquals(0, w.empty());
        }
        long[] pauses = new long[6];
        for (int i = 0; i < pauses.length; i++) {
            w.woke(false);
            pauses[i] = w.empty();
            assertEquals(i == 0, w.firstPause());
            w.woke(true); // an interrupt's wake-up between: neither counted nor an end of the row
            assertEquals(0, w.empty());
        }
        assertEquals("[1, 2, 4, 8, 8, 8]", java.util.Arrays.toString(pauses));
        assertEquals((EmptyWakeups.FREE + 6) + " times in a row with no interrupt of its thread", w.said());
        w.reset();
        w.woke(false);
        assertEquals(0, w.empty(), "progress starts the count over");
    }

    /**
     * Wake-ups with an interrupt (application code that interrupts every thread, here without pause) are
     * never paused after: a pause saves nothing there (each interrupt ends the pause's wait as it ends the
     * select), and only delayed each command, up to 100 ms for its connection and for each read. Before,
     * the 65th in a row paused, and each one after it.
     */
    @Test
    void wakeUpsThatCameWithAnInterruptAreNoSpinAndNeverPause() {
        EmptyWakeups.pausesForTests(Duration.ofMillis(1), Duration.ofMillis(8));
        EmptyWakeups w = new EmptyWakeups();
        for (int i = 0; i < 10 * EmptyWakeups.FREE; i++) {
            w.woke(true);
            assertEquals(0, w.empty(), "wake-up " + i);
            assertFalse(w.firstPause());
        }
        for (int i = 0; i < EmptyWakeups.FREE; i++) {
            w.woke(false); // a select that returns at once, with no interrupt: these count, from 0
            assertEquals(0, w.empty(), "wake-up " + i + " without an interrupt");
        }
        w.woke(false);
        assertEquals(1, w.empty());
    }

    /**
     * Wake-ups far apart (a select that returns at once now and then, with no command in between) are
     * no spin: each starts the count over, so the wait never pauses. Before, the count
     * never ended, and after 64 such interrupts the loop paused after each and warned of a spin.
     */
    @Test
    void wakeUpsAfterAQuietSpellAreNoSpinAndNeverPause() throws InterruptedException {
        EmptyWakeups.pausesForTests(Duration.ofMillis(1), Duration.ofMillis(1));
        EmptyWakeups.quietForTests(Duration.ofMillis(5)); // the longest pause is 1 ms: 5 ms of quiet ends a row
        EmptyWakeups w = new EmptyWakeups();
        for (int i = 0; i < EmptyWakeups.FREE + 10; i++) {
            Thread.sleep(10); // at least 10 ms apart, longer than the quiet spell
            w.woke(false);
            assertEquals(0, w.empty(), "wake-up " + i);
        }
        assertTrue(w.said().startsWith("1 times in a row"), w.said());
    }
}
