package io.jlivepatch.jar;

import io.jlivepatch.PatchHandle;
import jarapp.Counter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When a change took effect on every thread is on record: a transition's end is an audit line of its
 * own, after the line of the operation that started it, credited to whoever asked (the worker's
 * work as {@code jlivepatch (for ...)}), with the patch's file and SHA-256.
 */
class TransitionRecordTest {

    private static final String HOLD = "jarapp.Gate.pass(Ljava/util/concurrent/CountDownLatch;"
            + "Ljava/util/concurrent/CountDownLatch;)V";

    @TempDir
    Path dir;

    @AfterEach
    void removeAll() throws Exception {
        Jars.removeAll();
    }

    private Path jar(String name, Map<String, String> more) throws Exception {
        Map<String, String> manifest = new LinkedHashMap<>(Jars.manifest(name, Jars.FIX));
        manifest.putAll(more);
        return Jars.write(dir.resolve(name + ".jar"), manifest, Jars.classes(Jars.FIX));
    }

    @Test
    void aTransitionThatEndsInsideItsOperationIsRecordedRightAfterIt() throws Exception {
        Path jar = jar("fix-record", Map.of());
        PatchHandle h = Jars.lp().load(jar);
        h.enable();
        h.disable();
        List<String> log = Arrays.asList(Jars.auditLog());
        List<String> mine = log.subList(log.size() - 4, log.size());
        assertTrue(mine.get(0).contains(" enable fix-record by api: ok"), mine.toString());
        assertTrue(mine.get(1).contains(" transition fix-record by api: ok (patching complete) [file " + jar
                + " sha256 "), mine.toString());
        assertTrue(mine.get(2).contains(" disable fix-record by api: ok"), mine.toString());
        assertTrue(mine.get(3).contains(" transition fix-record by api: ok (unpatching complete) [file " + jar),
                mine.toString());
    }

    @Test
    void aTransitionTheWorkerEndsIsRecordedWhenItEndsForWhoStartedIt() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch open = new CountDownLatch(1);
        Thread waiting = new Thread(() -> {
            try {
                jarapp.Gate.pass(inside, open);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "in-the-gate");
        waiting.start();
        try {
            inside.await();
            Path jar = jar("fix-held-record", Map.of("Livepatch-Hold", HOLD));
            PatchHandle h = Jars.lp().load(jar);
            h.enable();
            assertTrue(h.inTransition(), "held by the thread in the gate");
            String[] before = Jars.auditLog();
            assertTrue(before[before.length - 1].contains(" enable fix-held-record by api: ok"),
                    before[before.length - 1]);
            open.countDown();
            assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
            assertEquals(-1, new Counter().next());
            String[] after = Jars.auditLog(); // bounded: older lines may have gone, so compared by the last two
            assertTrue(after[after.length - 2].contains(" enable fix-held-record by api: ok"),
                    "nothing in between: " + after[after.length - 2]);
            assertTrue(after[after.length - 1].contains(" transition fix-held-record by jlivepatch (for api): ok"
                    + " (patching complete) [file " + jar + " sha256 "), after[after.length - 1]);
        } finally {
            open.countDown();
            waiting.join();
        }
    }
}
