package io.jlivepatch.internal.watch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A watched load whose prePatch throws NoClassDefFoundError waits for a class loader and is retried:
 * a retry refused the same way again logs its registered, enabling and registration-undone lines at
 * DEBUG with its refusal, not three INFO lines more each time; the retry that loads it logs them at
 * INFO, in the kernel's words and order. Before, every retry logged the three at INFO.
 */
class RetriedWaitLinesTest {

    private static final Logger JLIVEPATCH_LOG = Logger.getLogger("io.jlivepatch");

    @TempDir
    Path dir;

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        private final SimpleFormatter formatter = new SimpleFormatter();

        @Override
        public void publish(LogRecord record) {
            String message = formatter.formatMessage(record);
            if (message.contains("fix-waiting")) {
                lines.add(record.getLevel() + " " + message);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private PatchDirectoryWatch watch;

    @BeforeEach
    void listen() {
        WatchFixture.registry(); // installed first: its set-up sets jlivepatch's level
        JLIVEPATCH_LOG.setLevel(Level.ALL);
        JLIVEPATCH_LOG.addHandler(handler);
    }

    @AfterEach
    void cleanUp() throws Exception {
        JLIVEPATCH_LOG.removeHandler(handler);
        JLIVEPATCH_LOG.setLevel(Level.WARNING);
        System.clearProperty("watchapp.waiting.ready");
        if (watch != null) {
            watch.stop();
        }
        WatchFixture.removeAll();
    }

    /** The lines at {@code level} since line {@code from}. */
    private List<String> at(Level level, int from) {
        return lines.subList(from, lines.size()).stream().filter(l -> l.startsWith(level + " ")).toList();
    }

    /** {@link #at}, but the watch's own lines (its wording, not the kernel's). */
    private List<String> kernels(Level level, int from) {
        return at(level, from).stream().filter(l -> !l.startsWith(level + " watch ")).toList();
    }

    @Test
    void aRetryRefusedTheSameWaySaysItAtDebugAndTheRetryThatLoadsSaysItAtInfo() throws Exception {
        Path patches = Files.createDirectories(dir.resolve("patches"));
        WatchFixture.jar(patches, "10-fix-waiting.jar", "fix-waiting", "Waiting");
        assertEquals("hello x", WatchFixture.greet()); // loaded: the enable's prePatch runs for it
        watch = WatchFixture.watch(patches); // no thread: each reconcile is the test's own call

        watch.reconcile();
        assertTrue(watch.status().state().startsWith("waiting: "), watch.status().toString());
        assertEquals(List.of("INFO 'fix-waiting': registered, 1 function(s), stack order 1",
                "INFO enabling patch 'fix-waiting'", "INFO 'fix-waiting': enable failed, registration undone"),
                kernels(Level.INFO, 0), lines.toString());
        assertEquals(2, at(Level.WARNING, 0).size(), "the refusal, and the watch's 'waits for a class loader': " + lines);

        for (int retry = 0; retry < 2; retry++) {
            int from = lines.size();
            watch.reconcile();
            assertTrue(watch.status().state().startsWith("waiting: "), watch.status().toString());
            assertEquals(List.of(), at(Level.INFO, from), "a retry refused as before: " + lines);
            assertEquals(List.of(), at(Level.WARNING, from), "a retry refused as before: " + lines);
            List<String> debug = kernels(Level.FINE, from);
            assertEquals(4, debug.size(), lines.toString());
            assertEquals("FINE 'fix-waiting': registered, 1 function(s), stack order 1", debug.get(0));
            assertEquals("FINE enabling patch 'fix-waiting'", debug.get(1));
            assertEquals("FINE 'fix-waiting': enable failed, registration undone", debug.get(2));
            assertTrue(debug.get(3).startsWith("FINE load refused again, still waiting for a class loader"), debug.get(3));
            assertTrue(at(Level.FINE, from).get(0).contains(": applying: fix-waiting"), lines.toString());
        }

        System.setProperty("watchapp.waiting.ready", "true");
        int from = lines.size();
        watch.reconcile();
        assertTrue(watch.status().state().startsWith("converged"), watch.status().toString());
        // the first three: "patching complete" may be logged by the transition's worker after the reconcile's end
        List<String> info = kernels(Level.INFO, from);
        assertTrue(info.size() >= 3, lines.toString());
        assertEquals(List.of("INFO 'fix-waiting': registered, 1 function(s), stack order 1",
                "INFO enabling patch 'fix-waiting'", "INFO 'fix-waiting': starting patching transition"),
                info.subList(0, 3), lines.toString());
        assertTrue(at(Level.INFO, from).stream().anyMatch(l -> l.contains(": converged: fix-waiting")), lines.toString());
        assertEquals("W x", WatchFixture.greet());
    }

    /**
     * A JAR that waited, loaded, and was taken out of the directory waits again when put back while no loader can
     * take it: that wait is news (its refusal's WARNING, its kernel lines at INFO), not a repeat of the one that
     * ended with its load. Before, the wait stayed remembered after the load, and the new one was DEBUG only.
     */
    @Test
    void aWaitAfterTheJarLoadedAndWasTakenOutIsReportedAgain() throws Exception {
        Path patches = Files.createDirectories(dir.resolve("patches"));
        Path jar = WatchFixture.jar(patches, "10-fix-waiting.jar", "fix-waiting", "Waiting");
        Path kept = Files.copy(jar, dir.resolve("kept.jar")); // the same bytes, put back below
        assertEquals("hello x", WatchFixture.greet());
        watch = WatchFixture.watch(patches);

        watch.reconcile();
        assertTrue(watch.status().state().startsWith("waiting: "), watch.status().toString());
        System.setProperty("watchapp.waiting.ready", "true");
        watch.reconcile();
        assertTrue(watch.status().state().startsWith("converged"), watch.status().toString());
        Files.delete(jar);
        watch.reconcile();
        assertTrue(watch.status().state().startsWith("converged"), watch.status().toString());
        assertEquals("hello x", WatchFixture.greet());

        System.clearProperty("watchapp.waiting.ready");
        Files.copy(kept, jar);
        int from = lines.size();
        watch.reconcile();
        assertTrue(watch.status().state().startsWith("waiting: "), watch.status().toString());
        List<String> info = kernels(Level.INFO, from);
        List<String> expected = List.of("INFO 'fix-waiting': registered, 1 function(s), stack order 1",
                "INFO enabling patch 'fix-waiting'", "INFO 'fix-waiting': enable failed, registration undone");
        assertEquals(expected, info.stream().filter(expected::contains).toList(), lines.toString());
        assertTrue(at(Level.WARNING, from).stream().anyMatch(l -> l.startsWith("WARNING load refused")),
                "the new wait's refusal: " + lines);
    }

    /**
     * A refusal inside the retried load (its prePatch asks for an operation, refused) is not the load's: the
     * load's held lines wait for its own outcome, and the load that commits logs them at INFO, with no
     * registration undone. Before, the inner refusal took them: registered, enabling and "registration undone"
     * at INFO, then the patch loaded, its log saying it was not.
     */
    @Test
    void aRefusalInsideTheRetriedLoadIsNotItsOutcome() throws Exception {
        Path patches = Files.createDirectories(dir.resolve("patches"));
        WatchFixture.jar(patches, "10-fix-waiting.jar", "fix-waiting", "WaitingNested");
        assertEquals("hello x", WatchFixture.greet());
        watch = WatchFixture.watch(patches);
        watch.reconcile();
        assertTrue(watch.status().state().startsWith("waiting: "), watch.status().toString());

        System.setProperty("watchapp.waiting.ready", "true");
        int from = lines.size();
        watch.reconcile();
        assertTrue(watch.status().state().startsWith("converged"), watch.status().toString());
        List<String> info = kernels(Level.INFO, from);
        assertTrue(info.size() >= 3, lines.toString());
        assertEquals(List.of("INFO 'fix-waiting': registered, 1 function(s), stack order 1",
                "INFO enabling patch 'fix-waiting'", "INFO 'fix-waiting': starting patching transition"),
                info.subList(0, 3), lines.toString());
        assertTrue(lines.stream().noneMatch(l -> l.contains("registration undone") && lines.indexOf(l) >= from),
                lines.toString());
        assertEquals("N x", WatchFixture.greet());
    }
}
