package io.jlivepatch.internal.patch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import io.jlivepatch.internal.bootstrap.Recursion;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The stretches of jlivepatch's code begun before the recursion guard was installed: activation
 * gives each of their threads one mark, which the outermost stretch releases; it waits only for the
 * stretches it could not mark, of other threads than its own, and at most its bound, after which a
 * WARNING says which threads still run unmarked. Its own instances, so it does not depend on
 * the state of this JVM's jlivepatch (active already in the shared test JVM).
 */
class UnmarkedStretchesTest {

    /** A hang detector, never reached by a passing test. */
    private static final long LONG = TimeUnit.SECONDS.toNanos(60);

    private final WarningsLogged capture = new WarningsLogged();
    private final List<String> warnings = capture.lines;

    @BeforeEach
    void listen() {
        capture.start();
    }

    @AfterEach
    void stopListening() {
        capture.stop();
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
        // Recursion's own marks (a slot, NESTED, FULL, NO_STACK) are not a stretch's: exit tells them apart.
        for (int m : new int[] {0, 5, Recursion.NESTED, Recursion.FULL, Recursion.NO_STACK, RecursionGuard.NO_STACK}) {
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
        assertTrue(s.awaitUnadopted(Thread.currentThread(), LONG));
        assertEquals(List.of(), warnings);
        s.end(inner);
        s.end(outer);
    }

    @Test
    void adoptionGivesEachThreadOneMarkThatItsOutermostStretchReleases() throws Exception {
        UnmarkedStretches s = new UnmarkedStretches(4);
        Holder other = new Holder(s, "jlivepatch-test-adopted");
        int outer = s.begin();
        int inner = s.begin(); // nested: a JMX read whose code logs, say
        Marker marker = new Marker(7);
        s.adoptAll(marker);
        assertEquals(2, marker.marked.size(), "one mark per thread: " + marker.marked);
        assertEquals(java.util.Set.of(Thread.currentThread(), other.thread), java.util.Set.copyOf(marker.marked),
                "every thread in a stretch is marked");
        int mine = marker.markOf(Thread.currentThread());
        int theirs = marker.markOf(other.thread);
        assertTrue(s.carriesMark(Thread.currentThread()) && s.carriesMark(other.thread));
        // Adopted stretches are marked, so nothing is left to wait for (a wait would last a minute).
        assertTrue(s.awaitUnadopted(Thread.currentThread(), LONG));
        s.adoptAll(marker); // a retried activation: no second mark for an adopted thread
        assertEquals(2, marker.marked.size(), marker.marked.toString());
        assertEquals(UnmarkedStretches.NONE, s.end(inner), "the enclosing stretch carries the mark on");
        assertEquals(mine, s.end(outer), "the outermost end releases the mark");
        other.release();
        assertEquals(theirs, other.released(), "the other thread's end released its own mark");
        assertFalse(s.anyInProgress());
        int later = s.begin();
        assertEquals(UnmarkedStretches.NONE, s.end(later), "a slot used again carries no old mark");
        assertEquals(List.of(), warnings);
    }

    @Test
    void aThreadThatCannotBeMarkedIsWaitedForUntilItsStretchEnds() throws Exception {
        UnmarkedStretches s = new UnmarkedStretches(4);
        Holder other = new Holder(s, "jlivepatch-test-stretch");
        AtomicBoolean returned = new AtomicBoolean();
        AtomicBoolean result = new AtomicBoolean();
        Marker noMark = new Marker(Recursion.FULL); // every mark taken: nobody is marked
        Thread activating = new Thread(() -> {
            int mine = s.begin(); // the activating thread's own: not waited for, marked or not
            s.adoptAll(noMark);
            result.set(s.awaitUnadopted(Thread.currentThread(), LONG));
            returned.set(true);
            s.end(mine);
        }, "jlivepatch-test-activating");
        activating.start();
        awaitWaiting(activating);
        assertFalse(returned.get(), "the wait ended while another thread's unmarked stretch was in progress");
        assertFalse(s.carriesMark(other.thread));
        other.release();
        activating.join(TimeUnit.NANOSECONDS.toMillis(LONG));
        assertTrue(returned.get() && result.get(), "the wait ends, waited out, once the stretch ended");
        assertEquals(UnmarkedStretches.NONE, other.released(), "no mark to release");
        assertEquals(List.of(), warnings);
        assertFalse(s.anyInProgress());
    }

    @Test
    void theWaitIsBoundedAndEndsWithAWarningNamingTheThreadsStillUnmarked() throws Exception {
        UnmarkedStretches s = new UnmarkedStretches(1);
        Holder slotted = new Holder(s, "jlivepatch-test-slow-stretch");
        Holder unslotted = new Holder(s, "jlivepatch-test-unslotted");
        try {
            s.adoptAll(new Marker(Recursion.FULL));
            assertFalse(s.awaitUnadopted(Thread.currentThread(), TimeUnit.MILLISECONDS.toNanos(1)),
                    "stretches still in progress when the bound ran out");
            assertEquals(1, warnings.size(), warnings.toString());
            String w = warnings.get(0);
            assertTrue(w.contains("(thread(s) 'jlivepatch-test-slow-stretch' and 1 stretch(es) on threads not recorded"
                    + " (more at once than 1));") && w.contains("began before jlivepatch installed its hooks")
                    && w.contains("could not mark") && w.contains("still running after 1 ms")
                    && w.contains("not marked as jlivepatch's")
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
            result.set(s.awaitUnadopted(Thread.currentThread(), LONG));
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

    /** Waits (a hang detector) until {@code t} waits in {@link UnmarkedStretches#awaitUnadopted}. */
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
        final Thread thread;

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

    /**
     * Stands for {@code Recursion.enterFor} in {@link UnmarkedStretches#adoptAll}: records the threads
     * it marks and gives them {@code first}, {@code first + 1}, ..., or {@code first} itself when it is
     * negative (no mark).
     */
    private static final class Marker implements java.util.function.ToIntFunction<Thread> {
        final List<Thread> marked = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final int first;

        Marker(int first) {
            this.first = first;
        }

        @Override
        public int applyAsInt(Thread t) {
            marked.add(t);
            return first < 0 ? first : first + marked.size() - 1;
        }

        int markOf(Thread t) {
            return first + marked.indexOf(t);
        }
    }
}
