package io.jlivepatch.internal.transition;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One worker thread serves every transition, one at a time, and survives what an attempt throws. */
class TransitionWorkerTest {

    private static final long WAIT_S = 10; // only a broken worker waits this long

    @Test
    void oneThreadServesSuccessiveTransitions() throws Exception {
        TransitionWorker worker = new TransitionWorker();
        Thread thread = worker.ensureRunning();
        assertTrue(thread.isDaemon(), "the worker never holds the JVM");
        assertNull(thread.getContextClassLoader(), "it keeps no application's class loader reachable");
        for (int transition = 0; transition < 3; transition++) {
            CountDownLatch done = new CountDownLatch(1);
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            AtomicInteger attempts = new AtomicInteger();
            worker.retry(() -> {
                ranOn.set(Thread.currentThread());
                if (attempts.incrementAndGet() < 3) {
                    return false; // threads still in the patch's methods
                }
                done.countDown();
                return true;
            }, () -> false);
            assertTrue(done.await(WAIT_S, TimeUnit.SECONDS), "transition " + transition + " was retried to its end");
            assertSame(thread, ranOn.get(), "the same thread retries every transition");
            assertSame(thread, worker.ensureRunning(), "no second thread is started while the first lives");
        }
    }

    @Test
    void aThrowingAttemptIsRetriedAndTheWorkerLivesOn() throws Exception {
        TransitionWorker worker = new TransitionWorker();
        Thread thread = worker.ensureRunning();
        CountDownLatch done = new CountDownLatch(1);
        AtomicInteger attempts = new AtomicInteger();
        worker.retry(() -> {
            int n = attempts.incrementAndGet();
            if (n == 1) {
                throw new IllegalStateException("injected: the first attempt fails");
            }
            if (n == 2) {
                throw new StackOverflowError("injected: so does the second");
            }
            done.countDown();
            return true;
        }, () -> false);
        assertTrue(done.await(WAIT_S, TimeUnit.SECONDS), "the attempts after the failures ran");
        assertTrue(thread.isAlive());
        assertSame(thread, worker.ensureRunning());
    }

    @Test
    void newWorkReplacesTheOldAndAnEndedTransitionIsNotAttempted() throws Exception {
        TransitionWorker worker = new TransitionWorker();
        worker.ensureRunning();
        CountDownLatch firstTried = new CountDownLatch(1);
        AtomicBoolean firstEnded = new AtomicBoolean();
        AtomicInteger firstAfterReplacement = new AtomicInteger();
        AtomicBoolean replaced = new AtomicBoolean();
        worker.retry(() -> {
            if (replaced.get()) {
                firstAfterReplacement.incrementAndGet();
            }
            firstTried.countDown();
            return false; // never completes by itself
        }, firstEnded::get);
        assertTrue(firstTried.await(WAIT_S, TimeUnit.SECONDS));

        CountDownLatch secondDone = new CountDownLatch(1);
        worker.retry(() -> {
            secondDone.countDown();
            return true;
        }, () -> false);
        replaced.set(true); // after the hand-over: only an attempt already running may still count
        assertTrue(secondDone.await(WAIT_S, TimeUnit.SECONDS), "the new transition is retried");
        // At most the attempt that was already running when the new work came may have counted.
        assertTrue(firstAfterReplacement.get() <= 1, "the replaced transition is no longer attempted");

        // An ended transition (completed elsewhere, forced) gets no attempt, woken or not.
        AtomicInteger endedAttempts = new AtomicInteger();
        CountDownLatch looked = new CountDownLatch(1);
        worker.retry(() -> {
            endedAttempts.incrementAndGet();
            return true;
        }, () -> {
            looked.countDown();
            return true;
        });
        worker.wake();
        assertTrue(looked.await(WAIT_S, TimeUnit.SECONDS), "the worker looked at the ended transition");
        // Work handed over after it shows the worker went on past the ended one without attempting it.
        CountDownLatch after = new CountDownLatch(1);
        worker.retry(() -> {
            after.countDown();
            return true;
        }, () -> false);
        assertTrue(after.await(WAIT_S, TimeUnit.SECONDS));
        assertEquals(0, endedAttempts.get(), "an ended transition is never attempted");
    }
}
