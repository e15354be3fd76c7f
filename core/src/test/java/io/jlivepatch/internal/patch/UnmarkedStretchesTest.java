package io.jlivepatch.internal.patch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stretches of jlivepatch's code begun before the recursion guard was installed: activation
 * waits for other threads' stretches to end, never for its own thread's, and at most its bound, after
 * which a WARNING says which threads still run unmarked. Its own instances, so it does not depend on
 * the state of this JVM's jlivepatch (active already in the shared test JVM).
 */
class UnmarkedStretchesTest {

    /** A hang detector, never reached by a passing test. */
    private static final long LONG = TimeUnit.SECONDS.toNanos(60);

    private final Logger log = Logger.getLogger("io.jlivepatch");
    private final StretchTestSupport.Warnings handler = new StretchTestSupport.Warnings();
    private final List<String> warnings = handler.seen;

    @BeforeEach
    void listen() {
        log.addHandler(handler);
    }

    @AfterEach
    void stopListening() {
        log.removeHandler(handler);
    }

    @Test
    void marksAreTheirOwnAndEveryStretchIsCountedUntilItEnds() {
        UnmarkedStretches s = new UnmarkedStretches(2);
        int a = s.begin();
        int b = s.begin();
        int c = s.begin(); // no slot left: counted all the same
        for (int m : new int[] {a, b, c}) {
            assertTrue(UnmarkedStretches.isStretch(m), m + " is a stretch's mark");
        }
        assertEquals(3, List.of(a, b, c).stream().distinct().count(), "distinct marks " + List.of(a, b, c));
        // Recursion's own marks (a slot, NESTED, FULL) are not a stretch's: exit tells them apart.
        for (int m : new int[] {0, 5, -1, -2}) {
            assertFalse(UnmarkedStretches.isStretch(m), m + " is Recursion's");
        }
        s.end(a);
        s.end(c);
        assertTrue(s.anyInProgress(), "b is still in progress");
        s.end(b);
        assertFalse(s.anyInProgress(), "every stretch ended");
        int again = s.begin();
        assertNotEquals(c, again, "a freed slot is used again before the overflow count");
        s.end(again);
        assertFalse(s.anyInProgress());
    }

    @Test
    void theActivatingThreadDoesNotWaitForItsOwnStretches() {
        UnmarkedStretches s = new UnmarkedStretches(4);
        int outer = s.begin();
        int inner = s.begin(); // nested: a JMX read whose code logs, say
        // Were its own stretches waited for, this would return false after a minute with a warning.
        assertTrue(s.awaitOthers(Thread.currentThread(), LONG));
        assertEquals(List.of(), warnings);
        s.end(inner);
        s.end(outer);
    }

    @Test
    void theActivatingThreadsOwnStretchesCarryItsMarkUntilTheOutermostEnds() throws Exception {
        UnmarkedStretches s = new UnmarkedStretches(4);
        Holder other = new Holder(s, "jlivepatch-test-not-adopted");
        int outer = s.begin();
        int inner = s.begin();
        assertTrue(s.hasOwn(Thread.currentThread()));
        s.adopt(Thread.currentThread(), 7);
        assertEquals(UnmarkedStretches.NONE, s.end(inner), "the enclosing stretch carries the mark on");
        assertEquals(7, s.end(outer), "the outermost end releases the mark");
        assertFalse(s.hasOwn(Thread.currentThread()));
        other.release(); // another thread's stretch carried no mark: its end released none (see Holder)
        assertEquals(UnmarkedStretches.NONE, other.released());
        int later = s.begin();
        assertEquals(UnmarkedStretches.NONE, s.end(later), "a slot used again carries no old mark");
    }

    @Test
    void activationWaitsUntilAnotherThreadsStretchEnds() throws Exception {
        UnmarkedStretches s = new UnmarkedStretches(4);
        Holder other = new Holder(s, "jlivepatch-test-stretch");
        AtomicBoolean returned = new AtomicBoolean();
        AtomicBoolean result = new AtomicBoolean();
        Thread activating = new Thread(() -> {
            int mine = s.begin(); // the activating thread's own: not waited for
            result.set(s.awaitOthers(Thread.currentThread(), LONG));
            returned.set(true);
            s.end(mine);
        }, "jlivepatch-test-activating");
        activating.start();
        awaitWaiting(activating);
        assertFalse(returned.get(), "the wait ended while another thread's stretch was in progress");
        other.release();
        activating.join(TimeUnit.NANOSECONDS.toMillis(LONG));
        assertTrue(returned.get() && result.get(), "the wait ends, waited out, once the stretch ended");
        assertEquals(List.of(), warnings);
        assertFalse(s.anyInProgress());
    }

    @Test
    void theWaitIsBoundedAndEndsWithAWarningNamingTheThreadsStillUnmarked() throws Exception {
        UnmarkedStretches s = new UnmarkedStretches(1);
        Holder slotted = new Holder(s, "jlivepatch-test-slow-stretch");
        Holder unslotted = new Holder(s, "jlivepatch-test-unslotted");
        try {
            assertFalse(s.awaitOthers(Thread.currentThread(), TimeUnit.MILLISECONDS.toNanos(1)),
                    "stretches still in progress when the bound ran out");
            assertEquals(1, warnings.size(), warnings.toString());
            String w = warnings.get(0);
            assertTrue(w.contains("on thread(s) 'jlivepatch-test-slow-stretch' and 1 more;") && w.contains("began before jlivepatch installed its hooks")
                    && w.contains("still running after 1 ms") && w.contains("not marked as jlivepatch's")
                    && w.contains("goes on installing them"), w);
        } finally {
            slotted.release();
            unslotted.release();
        }
        assertFalse(s.anyInProgress(), "both ended after the wait gave up");
    }

    @Test
    void anInterruptionDoesNotEndTheWaitAndIsKept() throws Exception {
        UnmarkedStretches s = new UnmarkedStretches(2);
        Holder other = new Holder(s, "jlivepatch-test-interrupted-wait");
        AtomicBoolean result = new AtomicBoolean();
        AtomicBoolean keptInterrupt = new AtomicBoolean();
        Thread activating = new Thread(() -> {
            result.set(s.awaitOthers(Thread.currentThread(), LONG));
            keptInterrupt.set(Thread.currentThread().isInterrupted());
        }, "jlivepatch-test-activating-interrupted");
        activating.start();
        awaitWaiting(activating);
        activating.interrupt();
        // Still waiting after the interruption: it waits again (a hang detector bounds this).
        awaitWaiting(activating);
        other.release();
        activating.join(TimeUnit.NANOSECONDS.toMillis(LONG));
        assertTrue(result.get(), "waited until the stretch ended");
        assertTrue(keptInterrupt.get(), "the interruption is kept for the caller");
    }

    /** Waits (a hang detector) until {@code t} waits in {@link UnmarkedStretches#awaitOthers}. */
    private static void awaitWaiting(Thread t) throws InterruptedException {
        String notWaiting = StretchTestSupport.awaitWaiting(t);
        assertNull(notWaiting, notWaiting);
    }

    /** A thread in a stretch until {@link #release}. */
    private static final class Holder {
        private final CountDownLatch begun = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);
        private final AtomicInteger mark = new AtomicInteger();
        private final AtomicInteger releasedMark = new AtomicInteger();
        private final Thread thread;

        Holder(UnmarkedStretches s, String name) throws InterruptedException {
            thread = new Thread(() -> {
                mark.set(s.begin());
                begun.countDown();
                try {
                    released.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    releasedMark.set(s.end(mark.get()));
                }
            }, name);
            thread.setDaemon(true);
            thread.start();
            assertTrue(begun.await(60, TimeUnit.SECONDS), name + " began its stretch");
        }

        void release() throws InterruptedException {
            released.countDown();
            thread.join(60_000);
            assertFalse(thread.isAlive(), thread.getName() + " ended");
        }

        /** What the end of its stretch gave back to release. */
        int released() {
            return releasedMark.get();
        }
    }
}
