package io.jlivepatch.internal.watch;

import io.jlivepatch.control.ObjectNames;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static io.jlivepatch.internal.watch.WatchFixture.auditSince;
import static io.jlivepatch.internal.watch.WatchFixture.jar;
import static io.jlivepatch.internal.watch.WatchFixture.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The watch as the agent starts it: its thread reconciles on the directory's file events (the
 * interval here is an hour, so only an event can do it), the MBean shows the state, and callers of
 * the patched method never fail while the directory changes under them.
 */
class WatchThreadTest {

    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();
    private static final Duration HOUR = Duration.ofHours(1);

    @TempDir
    Path dir;
    @TempDir
    Path staging;

    private PatchDirectoryWatch watch;

    @AfterEach
    void cleanUp() throws Exception {
        if (watch != null) {
            watch.stop();
        }
        assertNull(PatchDirectoryWatch.running());
        WatchFixture.removeAll();
    }

    /** Waits (up to a minute: the machine may be slow, the outcome does not depend on it) for {@code condition}. */
    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 6000 && !condition.getAsBoolean(); i++) {
            Thread.sleep(10);
        }
        assertTrue(condition.getAsBoolean(), what);
    }

    /** The monitor every reconcile of {@code w} runs under. */
    private static Object reconcileLock(PatchDirectoryWatch w) throws ReflectiveOperationException {
        java.lang.reflect.Field f = PatchDirectoryWatch.class.getDeclaredField("reconciling");
        f.setAccessible(true);
        return f.get(w);
    }

    /** Puts a JAR in place as copying tools do: written under a name the watch ignores, then renamed. */
    private void drop(Path jar, String as) throws Exception {
        Path tmp = dir.resolve(as + ".tmp");
        Files.copy(jar, tmp);
        Files.move(tmp, dir.resolve(as), StandardCopyOption.ATOMIC_MOVE);
    }

    private static Object attribute(String name) throws Exception {
        ObjectName lp = new ObjectName(ObjectNames.LIVEPATCH);
        await("the Livepatch MBean is registered", () -> SERVER.isRegistered(lp));
        return SERVER.getAttribute(lp, name);
    }

    @Test
    void fileEventsAreReconciledAndTheMBeanSaysSo() throws Exception {
        assertEquals("off", attribute("ReconcileState"));
        WatchOptions options = new WatchOptions(dir, HOUR, Duration.ofSeconds(30));
        watch = PatchDirectoryWatch.start(WatchFixture.registry(), options);
        assertEquals("converged", attribute("ReconcileState"), "the first reconcile runs in the starting thread");
        assertEquals("", attribute("DesiredPatches"));
        long first = (Long) attribute("LastReconcile");
        assertTrue(first > 0);

        drop(jar(staging, "a.jar", "watch-a", "A"), "10-a.jar");
        await("the new JAR is loaded", () -> stack().equals(List.of("watch-a")));
        await("converged on it", () -> watch.status().desired().equals("watch-a")
                && watch.status().state().equals("converged"));
        assertEquals("watch-a", attribute("DesiredPatches"));
        assertEquals("converged", attribute("ReconcileState"));
        assertTrue((Long) attribute("LastReconcile") >= first);

        assertSame(watch, PatchDirectoryWatch.start(WatchFixture.registry(), options), "the same watch, again");
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> PatchDirectoryWatch.start(
                WatchFixture.registry(), new WatchOptions(staging, HOUR, Duration.ofSeconds(30))));
        assertTrue(other.getMessage().startsWith("this JVM already watches patches=" + dir), other.getMessage());

        Files.delete(dir.resolve("10-a.jar"));
        await("the removed JAR's patch is taken down", () -> stack().isEmpty()
                && watch.status().state().equals("converged") && watch.status().desired().isEmpty());
        watch.stop();
        watch = null;
        assertEquals("off", attribute("ReconcileState"));
    }

    /**
     * A stop of a watch whose start is still recording it (outside the class lock since 3dde33ee) waits for that
     * record: its caller's record ({@code unwatch}) came before the start's ({@code watch}) it undoes. Under the
     * class lock, as before, it waited for it.
     */
    @Test
    void aStopWaitsForTheRecordOfTheStartThatMadeTheWatch() throws Exception {
        WatchOptions options = new WatchOptions(dir, HOUR, Duration.ofSeconds(30));
        List<String> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread stopper = new Thread(() -> {
            try {
                PatchDirectoryWatch.running().stop();
                records.add("stopped");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "stopper");
        PatchDirectoryWatch made = PatchDirectoryWatch.start(WatchFixture.registry(), options, false, () -> {
            stopper.start();
            // Until the stop waits for this record, or is done: a bounded look, the verdict is the order below.
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (stopper.isAlive() && stopper.getState() != Thread.State.WAITING && System.nanoTime() - deadline < 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            records.add("made");
        });
        stopper.join(Duration.ofSeconds(60).toMillis());
        assertEquals(List.of("made", "stopped"), records);
        made.stop(); // its thread, started after the stop, sees it stopped and ends
        assertNull(PatchDirectoryWatch.running());
    }

    /**
     * A start's record waits for the audit file's write (a full or slow disk, up to its bound). The start of a
     * watch already running made it under the class lock, and every other watch start or stop waited with it;
     * now no start records under it. The records stay in the order the starts found the watch: the start that
     * made it first, though its record is no longer under that lock either.
     */
    @Test
    void aStartRecordsTheWatchOutsideTheClassLockAndAfterTheStartThatMadeIt() throws Exception {
        WatchOptions options = new WatchOptions(dir, HOUR, Duration.ofSeconds(30));
        List<String> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicReference<PatchDirectoryWatch> again = new AtomicReference<>();
        Thread second = new Thread(() -> again.set(PatchDirectoryWatch.start(WatchFixture.registry(), options, false,
                () -> records.add("again" + (Thread.holdsLock(PatchDirectoryWatch.class) ? " under the class lock" : "")))),
                "second-start");
        watch = PatchDirectoryWatch.start(WatchFixture.registry(), options, false, () -> {
            second.start();
            // Until the second start waits for this record, or is done (as it was when it recorded under the
            // class lock, which this start no longer held): a bounded look, the verdict is the order below.
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (second.isAlive() && second.getState() != Thread.State.WAITING && System.nanoTime() - deadline < 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            }
            records.add("made" + (Thread.holdsLock(PatchDirectoryWatch.class) ? " under the class lock" : ""));
        });
        second.join(Duration.ofSeconds(60).toMillis());
        assertSame(watch, again.get(), "the second start found the watch running");
        assertEquals(List.of("made", "again"), records);
        assertTrue(PatchDirectoryWatch.start(WatchFixture.registry(), options, false, () -> records.add(
                "third" + (Thread.holdsLock(PatchDirectoryWatch.class) ? " under the class lock" : ""))) == watch);
        assertEquals(List.of("made", "again", "third"), records);
    }

    @Test
    void aPatchUnloadedByHandLeavesTheStateDriftedUntilTheNextReconcilePutsItBack() throws Exception {
        jar(dir, "10-a.jar", "watch-a", "A");
        // The first reconcile on the watch thread, its only one until asked (the interval is an hour): done
        // before this test's change, which it would otherwise put back at once. Not the starting thread's
        // reconcile followed by the thread's first look: that look could end before this test read the
        // start's time, and the wait for a later one then never ended (CI, 2026-12-06).
        WatchOptions options = new WatchOptions(dir, HOUR, Duration.ofSeconds(30));
        watch = PatchDirectoryWatch.start(WatchFixture.registry(), options, false);
        await("the watch thread's first reconcile", () -> watch.status().lastReconcile() > 0);
        assertEquals(List.of("watch-a"), stack());
        io.jlivepatch.PatchHandle a = WatchFixture.registry().find("watch-a").orElseThrow();
        // By hand, with the watch's reconciles held off (every one runs under this monitor) until the
        // drift is read: a reconcile between the two steps put the stack back and the unregister was
        // refused (ci191, JDK 25), whatever woke the thread.
        synchronized (reconcileLock(watch)) {
            a.disable();
            a.unregister();
            assertTrue(((String) attribute("ReconcileState")).startsWith("drifted: the stack is empty, changed"
                    + " outside the watch;"), "what the fleet's monitoring reads: " + attribute("ReconcileState"));
            assertEquals(List.of(), stack());
        }

        // The next reconcile, asked as a second 'watch' of the directory asks: not left to file events,
        // which a suite that has used up inotify's watches may not give (fileEventsAreReconciled... has them).
        assertSame(watch, PatchDirectoryWatch.start(WatchFixture.registry(), options, false));
        await("the next reconcile puts it back", () -> stack().equals(List.of("watch-a"))
                && watch.status().state().startsWith("converged"));
    }

    /**
     * A JAR whose prePatch throws InterruptedException, loaded by the watch thread: jlivepatch kept the
     * interrupt on the thread that ran the callback, and the watch thread, which takes an interrupt for
     * the JVM going down, ended at its next wait: no later change of the directory was ever reconciled,
     * while status still named the directory watched. The callback's interrupt is the patch's; the
     * watch goes on.
     */
    @Test
    void aPrePatchThatWasInterruptedLeavesTheWatchWatching() throws Exception {
        assertEquals("hello x", WatchFixture.greet()); // loaded: its prePatch runs at the enable
        // Every reconcile asked as a second 'watch' of the directory asks, on the watch thread: not left
        // to file events, which a suite that has used up inotify's watches may not give.
        WatchOptions options = new WatchOptions(dir, HOUR, Duration.ofSeconds(30));
        watch = PatchDirectoryWatch.start(WatchFixture.registry(), options, false);
        await("the watch thread's first reconcile", () -> watch.status().lastReconcile() > 0);
        drop(jar(staging, "i.jar", "watch-interrupted", "Interrupted"), "10-i.jar");
        assertEquals(watch, PatchDirectoryWatch.start(WatchFixture.registry(), options, false));
        await("the interrupted prePatch refused the load", () -> watch.status().state().startsWith("failed"));
        assertEquals(List.of(), stack());

        Files.delete(dir.resolve("10-i.jar"));
        drop(jar(staging, "a.jar", "watch-a", "A"), "20-a.jar");
        assertEquals(watch, PatchDirectoryWatch.start(WatchFixture.registry(), options, false));
        await("the watch thread reconciles the directory's next change", () -> stack().equals(List.of("watch-a"))
                && watch.status().state().equals("converged"));
    }

    /** An application that interrupts every thread (jlivepatch's too) must not end the watch. */
    @Test
    void anInterruptFromOutsideLeavesTheWatchWatching() throws Exception {
        WatchOptions options = new WatchOptions(dir, HOUR, Duration.ofSeconds(30));
        // Every reconcile asked on the watch thread, as in aPrePatchThatWasInterrupted...: not by file events.
        watch = PatchDirectoryWatch.start(WatchFixture.registry(), options, false);
        await("the watch thread's first reconcile", () -> watch.status().lastReconcile() > 0);
        Thread watcher = watch.thread();
        assertEquals("jlivepatch-watch", watcher.getName());
        for (int i = 0; i < 3; i++) {
            watcher.interrupt(); // in its wait: before, the thread ended at the first
        }
        drop(jar(staging, "a.jar", "watch-a", "A"), "20-a.jar");
        // Asked to reconcile as a second 'watch' of the same directory asks (not left to file events,
        // which a suite that has used up inotify's watches may not give): only a living thread does it.
        assertEquals(watch, PatchDirectoryWatch.start(WatchFixture.registry(), options, false));
        await("the watch thread reconciles the directory's next change", () -> stack().equals(List.of("watch-a"))
                && watch.status().state().equals("converged"));
        assertTrue(watcher.isAlive(), "the watch thread lives on");
    }

    /**
     * An interrupt that stops the watch thread's read of a JAR fails that reconcile (nothing in the
     * directory is wrong), and the next one comes a second later: before, it waited the failure's
     * back-off, here an hour, with no file event to come (the JAR was already there).
     */
    @Test
    void aReconcileAnInterruptStoppedIsRetriedASecondLaterNotAfterTheInterval() throws Exception {
        WatchOptions options = new WatchOptions(dir, HOUR, Duration.ofSeconds(30));
        watch = PatchDirectoryWatch.start(WatchFixture.registry(), options, false);
        await("the watch thread's first reconcile", () -> watch.status().lastReconcile() > 0);
        Thread watcher = watch.thread();
        AtomicBoolean once = new AtomicBoolean();
        // The failed reconcile as its audit record says it, which stays: the state says it only until the
        // retry a second later, and a test thread descheduled for that second never saw it (the wait below
        // then ran out).
        Instant start = Instant.now();
        BooleanSupplier interruptedOnRecord = () -> auditSince(start).stream().anyMatch(
                e -> e.startsWith("reconcile " + dir + " by watch: failed: ") && e.contains("interrupted"));
        String opening = io.jlivepatch.internal.BoundedOpen.THREAD_NAME + " " + dir.resolve("20-a.jar");
        io.jlivepatch.internal.BoundedOpen.holdOpensForTests(() -> { // on the opening thread, the watch waiting
            // The opening thread is named for its path: only the watch's read of this JAR is interrupted.
            if (Thread.currentThread().getName().equals(opening) && once.compareAndSet(false, true)) {
                watcher.interrupt();
                // The open ends only once the watch gave it up for the interrupt: no race with its end.
                for (int i = 0; i < 3000 && !interruptedOnRecord.getAsBoolean(); i++) {
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        });
        try {
            drop(jar(staging, "a.jar", "watch-a", "A"), "20-a.jar");
            // Asked as a second 'watch' of the directory asks, not left to file events (see above).
            assertEquals(watch, PatchDirectoryWatch.start(WatchFixture.registry(), options, false));
            await("the interrupted reconcile", () -> once.get() && interruptedOnRecord.getAsBoolean());
            await("the retry a second later", () -> stack().equals(List.of("watch-a"))
                    && watch.status().state().equals("converged"));
        } finally {
            io.jlivepatch.internal.BoundedOpen.holdOpensForTests(null);
        }
        assertTrue(watcher.isAlive(), "the watch thread lives on");
    }

    /**
     * A callback of a patch the watch loads leaves a thread-local (its value the patch's class) on the
     * thread it ran on: on the watch thread, which lives as long as the JVM, that kept the patch's class
     * loader, and its classes, after the watch unloaded it. The thread retires after running patch code.
     */
    @Test
    void aThreadLocalAPatchsCallbackLeftOnTheWatchThreadDoesNotKeepThePatchAfterItsUnload() throws Exception {
        WatchOptions options = new WatchOptions(dir, HOUR, Duration.ofSeconds(30));
        watch = PatchDirectoryWatch.start(WatchFixture.registry(), options, false);
        await("the watch thread's first reconcile", () -> watch.status().lastReconcile() > 0);
        Thread first = watch.thread();
        drop(jar(staging, "t.jar", "watch-thread-local", "ThreadLocal"), "10-t.jar");
        // Reconciles asked as a second 'watch' asks, not left to file events (see above).
        assertEquals(watch, PatchDirectoryWatch.start(WatchFixture.registry(), options, false));
        await("the JAR is loaded", () -> stack().equals(List.of("watch-thread-local"))
                && watch.status().state().equals("converged"));
        assertEquals("T x", WatchFixture.greet());
        java.lang.ref.WeakReference<ClassLoader> loader = watchapp.PatchLoaders.last();
        assertTrue(loader != null && loader.get() != null, "the prePatch ran");

        Files.delete(dir.resolve("10-t.jar"));
        assertEquals(watch, PatchDirectoryWatch.start(WatchFixture.registry(), options, false));
        await("the JAR is unloaded", () -> stack().isEmpty() && watch.status().state().equals("converged"));
        assertEquals("hello x", WatchFixture.greet());
        for (int i = 0; i < 100 && loader.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertNull(loader.get(), "the unloaded patch's class loader stays reachable");
        assertTrue(watch.thread().isAlive(), "a watch thread goes on");
        assertTrue(watch.thread() != first, "the thread the callback ran on retired");

        drop(jar(staging, "a.jar", "watch-a", "A"), "20-a.jar");
        assertEquals(watch, PatchDirectoryWatch.start(WatchFixture.registry(), options, false));
        await("the new watch thread reconciles the directory's next change", () -> stack().equals(List.of("watch-a"))
                && watch.status().state().equals("converged"));
    }

    /**
     * stop() joined the thread it read as the watch's, and a retiring thread named its successor there
     * before starting it: a stop() in between joined a thread not started yet, which returns at once,
     * and returned while the retiring thread still ran and its successor was about to start and close
     * the directory's events after it. stop() returns only once the last watch thread has ended.
     */
    @Test
    void stopWhileTheWatchThreadHandsOverReturnsOnlyOnceItsSuccessorHasEnded() throws Exception {
        WatchOptions options = new WatchOptions(dir, HOUR, Duration.ofSeconds(30));
        watch = PatchDirectoryWatch.start(WatchFixture.registry(), options, false);
        await("the watch thread's first reconcile", () -> watch.status().lastReconcile() > 0);
        PatchDirectoryWatch w = watch;
        AtomicReference<Thread> stopper = new AtomicReference<>();
        AtomicReference<Thread.State> stopperState = new AtomicReference<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        PatchDirectoryWatch.beforeHandOverStartForTests = () -> {
            PatchDirectoryWatch.beforeHandOverStartForTests = null; // the first hand-over only
            Thread s = new Thread(() -> {
                try {
                    w.stop();
                } catch (Throwable e) {
                    failed.set(e);
                }
            }, "stopper");
            stopper.set(s);
            s.start();
            // Until stop() has returned, or waits (for this thread, the lock, a join): a state, not a time.
            Thread.State st;
            while ((st = s.getState()) != Thread.State.TERMINATED && st != Thread.State.BLOCKED
                    && st != Thread.State.WAITING) {
                Thread.onSpinWait();
            }
            stopperState.set(st);
        };
        try {
            drop(jar(staging, "t.jar", "watch-thread-local", "ThreadLocal"), "10-t.jar");
            assertEquals(watch, PatchDirectoryWatch.start(WatchFixture.registry(), options, false));
            await("the retiring watch thread hands over", () -> stopperState.get() != null);
            stopper.get().join();
        } finally {
            PatchDirectoryWatch.beforeHandOverStartForTests = null;
        }
        assertNull(failed.get());
        assertTrue(stopperState.get() != Thread.State.TERMINATED,
                "stop() returned while the watch thread was handing over to a new one");
        Thread last = watch.thread();
        assertTrue(last != null && !last.isAlive(), "stop() returned while " + last + " still ran");
    }

    @Test
    void aWatchAskedForOverJmxWithBadArgumentsIsRefusedAndNothingIsWatched() throws Exception {
        ObjectName lp = new ObjectName(ObjectNames.LIVEPATCH);
        attribute("ReconcileState"); // registered
        String[] signature = {String.class.getName(), long.class.getName(), long.class.getName()};
        Object[][] bad = {{"", 30L, 30L}, {dir.toString(), 0L, 30L}, {dir.toString(), 30L, 3601L},
                {"bad\0path", 30L, 30L}};
        String[] expected = {"INVALID_ARGUMENT: cannot watch '': no directory given",
                "INVALID_ARGUMENT: cannot watch '" + dir + "': interval=0: give 1 to 86400 seconds; nothing was changed",
                "INVALID_ARGUMENT: cannot watch '" + dir + "': timeout=3601: give 1 to 3600 seconds",
                // the client's path escaped, in its own words and the path's exception's (before, the NUL raw)
                "INVALID_ARGUMENT: cannot watch 'bad\\u0000path': Nul character not allowed: bad\\u0000path"};
        for (int i = 0; i < bad.length; i++) {
            Object[] args = bad[i];
            javax.management.RuntimeMBeanException e = assertThrows(javax.management.RuntimeMBeanException.class,
                    () -> SERVER.invoke(lp, "watch", args, signature));
            String message = e.getTargetException().getMessage();
            assertTrue(message.startsWith(expected[i]), message);
            assertEquals("off", attribute("ReconcileState"));
            assertEquals("", attribute("WatchedDirectory"));
        }
    }

    @Test
    void aDirectoryReplacedAtItsPathIsWatchedAgain() throws Exception {
        Path watched = Files.createDirectory(dir.resolve("patches"));
        watch = PatchDirectoryWatch.start(WatchFixture.registry(), new WatchOptions(watched, HOUR,
                Duration.ofSeconds(30)));
        assertEquals("converged", watch.status().state());
        Files.move(watched, dir.resolve("patches-old"));
        Path again = Files.createDirectory(watched);
        Path a = jar(staging, "a.jar", "watch-a", "A");
        drop(a, "patches/10-a.jar");
        await("the JAR in the new directory at the path is loaded", () -> stack().equals(List.of("watch-a"))
                && watch.status().state().equals("converged"));
        assertEquals(again, watched);
    }

    @Test
    void callersNeverFailNorSeeAnotherVersionThanTheDirectoryCouldGive() throws Exception {
        Set<String> allowed = Set.of("hello x", "A x", "B x", "C x");
        Set<String> seen = ConcurrentHashMap.newKeySet();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean run = new AtomicBoolean(true);
        AtomicLong calls = new AtomicLong();
        Thread[] callers = new Thread[4];
        for (int i = 0; i < callers.length; i++) {
            callers[i] = new Thread(() -> {
                while (run.get()) {
                    try {
                        String r = WatchFixture.greet();
                        seen.add(r);
                        if (!allowed.contains(r)) {
                            failure.compareAndSet(null, new AssertionError("unexpected " + r));
                        }
                        calls.incrementAndGet();
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }
            }, "caller-" + i);
            callers[i].start();
        }
        try {
            watch = PatchDirectoryWatch.start(WatchFixture.registry(), new WatchOptions(dir, HOUR,
                    Duration.ofSeconds(30)));
            drop(jar(staging, "a.jar", "watch-a", "A"), "10-a.jar");
            await("A", () -> stack().equals(List.of("watch-a")) && watch.status().state().equals("converged"));
            drop(jar(staging, "b.jar", "watch-b", "B"), "20-b.jar");
            await("A B", () -> stack().equals(List.of("watch-a", "watch-b"))
                    && watch.status().state().equals("converged"));
            drop(jar(staging, "c.jar", "watch-c", "C", true, "cumulative"), "30-c.jar");
            await("C", () -> stack().equals(List.of("watch-c")) && watch.status().state().startsWith("converged"));
            for (String f : List.of("10-a.jar", "20-b.jar", "30-c.jar")) {
                Files.delete(dir.resolve(f));
            }
            await("none", () -> stack().isEmpty() && watch.status().state().equals("converged"));
        } finally {
            run.set(false);
            for (Thread t : callers) {
                t.join();
            }
        }
        assertNull(failure.get(), () -> "a call failed: " + failure.get());
        assertTrue(calls.get() > 0);
        assertTrue(seen.contains("hello x"), seen.toString());
    }
}
