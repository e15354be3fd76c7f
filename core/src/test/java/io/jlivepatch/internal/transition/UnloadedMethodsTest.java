package io.jlivepatch.internal.transition;

import io.jlivepatch.internal.patch.HookLedger;
import io.jlivepatch.internal.patch.LoadedClasses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The worker's stack snapshot is spared only while no class of the transition's methods is loaded
 * (a start-up patch's transition): the answer comes from a scan of the loaded classes, here a
 * stand-in's, which may say what the test wants. A thread really inside a method shows which way
 * was taken: moved without a look at its stack, or held there by the snapshot.
 */
class UnloadedMethodsTest {

    /** The method a thread is parked in. */
    static final class Parked {
        static void park(CountDownLatch entered, CountDownLatch release) throws InterruptedException {
            entered.countDown();
            release.await(30, TimeUnit.SECONDS);
        }
    }

    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private Thread inside;

    private Thread parkOne() throws InterruptedException {
        inside = new Thread(() -> {
            try {
                Parked.park(entered, release);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "inside-park");
        inside.start();
        assertTrue(entered.await(30, TimeUnit.SECONDS));
        return inside;
    }

    @AfterEach
    void letGo() throws InterruptedException {
        release.countDown();
        if (inside != null) {
            inside.join(30_000);
        }
    }

    /** An Instrumentation whose getAllLoadedClasses gives {@code loaded}, counting the calls. */
    private static Instrumentation loading(AtomicInteger scans, Class<?>... loaded) {
        return (Instrumentation) Proxy.newProxyInstance(UnloadedMethodsTest.class.getClassLoader(),
                new Class<?>[] {Instrumentation.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getAllLoadedClasses")) {
                        scans.incrementAndGet();
                        return loaded.clone();
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private static Transition transitionOfPark() {
        return new Transition("p", List.<String[]>of(new String[] {Parked.class.getName(), "park",
                "(Ljava/util/concurrent/CountDownLatch;Ljava/util/concurrent/CountDownLatch;)V"}), true);
    }

    @Test
    void whileTheScanFindsNoClassOfTheMethodsNoStackIsLookedAt() throws Exception {
        Thread t = parkOne();
        Transition transition = transitionOfPark();
        AtomicInteger scans = new AtomicInteger();
        Instrumentation says = loading(scans); // says nothing is loaded, which is not so: the stack is never read
        LoadedClasses scan = LoadedClasses.snapshot(says, Set.of(Parked.class.getName()));
        transition.skipSnapshotWhileUnloaded(scan, says, new HookLedger());
        transition.start();

        assertTrue(transition.tryMoveAll(), "every thread moved without a snapshot");
        assertEquals(1, scans.get(), "the operation's scan answered: no class was defined since (no new scan)");
        assertTrue(transition.waiters().isEmpty(), "the thread inside the method moved too: no stack was read");
        assertTrue(t.isAlive());
    }

    @Test
    void aClassOfTheMethodsFoundLoadedMeansTheSnapshotAsAlways() throws Exception {
        parkOne();
        Transition transition = transitionOfPark();
        AtomicInteger scans = new AtomicInteger();
        Instrumentation says = loading(scans, Parked.class);
        transition.skipSnapshotWhileUnloaded(null, says, new HookLedger()); // no scan kept: a new one
        transition.start();

        assertFalse(transition.tryMoveAll(), "the thread inside the method holds the transition");
        assertEquals(List.of("thread 'inside-park' (id " + inside.getId() + ") in " + Parked.class.getName() + ".park"),
                transition.waiting());
        assertEquals(1, scans.get());
        assertFalse(transition.tryMoveAll());
        assertEquals(1, scans.get(), "once found loaded, no more scans: the snapshot decides from then on");
        release.countDown();
        inside.join(30_000);
        assertTrue(transition.tryMoveAll(), "the thread left the method: moved by the snapshot");
    }

    @Test
    void withoutTheCheckTheSnapshotDecides() throws Exception {
        parkOne();
        Transition transition = transitionOfPark(); // as for a patch whose classes the operation found loaded
        transition.start();
        assertFalse(transition.tryMoveAll());
        assertEquals(1, transition.waiters().size());
    }
}
