package io.jlivepatch.internal.watch;

import io.jlivepatch.PatchHandle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import watchapp.Greeting;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static io.jlivepatch.internal.watch.WatchFixture.auditSince;
import static io.jlivepatch.internal.watch.WatchFixture.greet;
import static io.jlivepatch.internal.watch.WatchFixture.jar;
import static io.jlivepatch.internal.watch.WatchFixture.stack;
import static io.jlivepatch.internal.watch.WatchFixture.watch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A transition that does not end within timeout= is reversed, so a failed reconcile leaves the stack
 * as it was: a load comes off and is unregistered, a disable goes back to enabled. The thread that
 * held it is only released after the reconcile has given up, so the outcome does not depend on time.
 */
class StuckTransitionTest {

    @TempDir
    Path dir;

    private Thread holder;

    @AfterEach
    void cleanUp() throws Exception {
        release();
        WatchFixture.removeAll();
    }

    /** A thread inside greet (whichever version runs now) until {@link #release}. */
    private void holdAThreadInGreet() throws InterruptedException {
        Greeting.hold = new CountDownLatch(1);
        Greeting.entered = new CountDownLatch(1);
        holder = new Thread(() -> {
            try {
                Greeting.greet("hold");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "held-in-greet");
        holder.start();
        Greeting.entered.await();
    }

    private void release() throws InterruptedException {
        if (holder != null) {
            Greeting.hold.countDown();
            holder.join();
            holder = null;
        }
    }

    @Test
    void aLoadWhoseTransitionDoesNotEndIsReversedAndUnloadedThenRetried() throws Exception {
        holdAThreadInGreet(); // in the original code
        jar(dir, "10-a.jar", "watch-a", "A");
        PatchDirectoryWatch w = watch(dir, Duration.ofSeconds(1));
        Instant start = Instant.now();
        w.reconcile();
        assertEquals(List.of(), stack(), "nothing half-applied");
        assertEquals("hello x", greet());
        String state = w.status().state();
        assertTrue(state.startsWith("failed: 'watch-a' (10-a.jar, sha256 "), state);
        assertTrue(state.contains("its transition did not end within 1 s (threads still in old code: thread 'held-in-greet'"),
                state);
        assertTrue(state.contains("reversed and unloaded"), state);
        List<String> audit = auditSince(start);
        assertTrue(audit.contains("disable watch-a by watch: ok (transition reversed)") && audit.contains("unregister watch-a by watch: ok"),
                audit.toString());

        release();
        w.reconcile();
        assertEquals(List.of("watch-a"), stack());
        assertEquals("converged", w.status().state());
    }

    @Test
    void aPatchDisabledByAnotherCommandDuringTheLoadsTransitionIsNotReportedConverged() throws Exception {
        holdAThreadInGreet(); // in the original code: the load's transition waits for it
        jar(dir, "10-a.jar", "watch-a", "A");
        PatchDirectoryWatch w = watch(dir);
        Thread reconcile = new Thread(w::reconcile, "reconcile");
        reconcile.start();
        PatchHandle a = awaitInTransition("watch-a");
        a.disable(); // another command: reverses the transition under way
        release();
        reconcile.join();
        assertEquals(List.of("watch-a(disabled)"), stack());
        String state = w.status().state();
        assertTrue(state.startsWith("failed: the stack changed while the reconcile ran (another command loaded,"
                + " disabled or unloaded a patch): it is watch-a(disabled), the directory asks for watch-a"), state);

        w.reconcile();
        assertEquals(List.of("watch-a"), stack(), "the directory is the desired state: enabled again");
        assertEquals("converged", w.status().state());
    }

    private static PatchHandle awaitInTransition(String name) throws InterruptedException {
        while (true) {
            PatchHandle h = WatchFixture.registry().find(name).orElse(null);
            if (h != null && h.inTransition()) {
                return h;
            }
            Thread.sleep(5);
        }
    }

    @Test
    void aTakeDownWhoseTransitionDoesNotEndIsReversedAndThePatchStaysEnabled() throws Exception {
        Path h = jar(dir, "10-h.jar", "watch-h", "Hold");
        PatchDirectoryWatch w = watch(dir, Duration.ofSeconds(1));
        w.reconcile();
        holdAThreadInGreet(); // in the patch's code
        Files.delete(h);
        w.reconcile();
        assertEquals(List.of("watch-h"), stack());
        assertEquals("Hold x", greet());
        String state = w.status().state();
        assertTrue(state.startsWith("failed: disabling 'watch-h' did not end within 1 s (threads still in old code:"
                + " thread 'held-in-greet'"), state);
        assertTrue(state.endsWith("reversed, it stays enabled"), state);

        release();
        w.reconcile();
        assertEquals(List.of(), stack());
        assertEquals("converged", w.status().state());
    }

    @Test
    void aNewVersionTakenOffAfterAFailedReconcileWhoseDisableDoesNotEndIsReversedAndStaysEnabled() throws Exception {
        jar(dir, "10-a.jar", "watch-a", "A");
        jar(dir, "20-b.jar", "watch-b", "B");
        PatchDirectoryWatch w = watch(dir, Duration.ofSeconds(1));
        w.reconcile();
        assertEquals(List.of("watch-a", "watch-b"), stack());

        jar(dir, "10-a.jar", "watch-a", "Hold", false, "version 2 of a, which loads");
        jar(dir, "20-b.jar", "watch-b", "NoSuchMethod", false, "version 2 of b, which cannot register");
        // Once the new a is in and before b is loaded (the log line that says so, published on the
        // reconcile's thread), a thread enters the new a's greet and stays: a's disable cannot end.
        List<String> logged = new CopyOnWriteArrayList<>();
        Logger log = Logger.getLogger("io.jlivepatch");
        Level level = log.getLevel();
        Handler hook = new Handler() {
            @Override
            public void publish(LogRecord r) {
                logged.add(r.getMessage());
                if (r.getMessage().contains(": loading 'watch-b'")) {
                    try {
                        holdAThreadInGreet();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        fail(e);
                    }
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.setLevel(Level.INFO);
        log.addHandler(hook);
        Instant start = Instant.now();
        try {
            w.reconcile();
        } finally {
            log.removeHandler(hook);
            log.setLevel(level);
        }
        assertTrue(holder != null, "the hook never ran: " + logged);
        assertEquals(List.of("watch-a"), stack(), "the new a enabled as it was, not half off");
        assertEquals("version 2 of a, which loads",
                WatchFixture.registry().find("watch-a").orElseThrow().patch().description());
        String state = w.status().state();
        assertTrue(state.contains(" was refused: TARGET_NOT_FOUND: ") && state.contains("; 'watch-a' (new) could not be"
                + " taken off: disabling 'watch-a' did not end within 1 s (threads still in old code: thread"
                + " 'held-in-greet'"), state);
        assertTrue(state.endsWith("reversed, it stays enabled; what was taken down stays off until the next"
                + " reconcile"), state);
        assertTrue(logged.stream().anyMatch(l -> l.contains("taking down 'watch-a': a new version this reconcile"
                + " loaded before it failed")), logged.toString());
        List<String> audit = auditSince(start);
        assertTrue(audit.contains("disable watch-a by watch: ok")
                && audit.contains("enable watch-a by watch: ok (transition reversed)"), audit.toString());

        release();
        assertEquals("Hold x", greet());
        jar(dir, "20-b.jar", "watch-b", "B", false, "version 3 of b");
        w.reconcile();
        assertEquals(List.of("watch-a", "watch-b"), stack());
        assertEquals("converged", w.status().state());
    }
}
