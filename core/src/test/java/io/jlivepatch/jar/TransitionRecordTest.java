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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * When a change took effect on every thread is on record: a transition's end is an audit line of its
 * own, after the line of the operation that started it, credited to whoever asked (the worker's
 * work as {@code jlivepatch (for ...)}), with the patch's file and SHA-256.
 */
class TransitionRecordTest {

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
    void anUnregisterOfAPatchJarNamesItsFileAndContentAsAReplacedPatchsDoes() throws Exception {
        Path jar = jar("fix-unregister-record", Map.of());
        PatchHandle h = Jars.lp().load(jar);
        h.unregister();
        List<String> log = Arrays.asList(Jars.auditLog());
        String last = log.get(log.size() - 1);
        // An unregister has no transition line to carry them: a name loaded again with other content
        // must not leave the record unable to say which content went.
        assertTrue(last.contains(" unregister fix-unregister-record by api: ok [file " + jar + " sha256 "
                + io.jlivepatch.internal.Sha256.hex(java.nio.file.Files.readAllBytes(jar)) + "]"), last);
    }

    @Test
    void aTransitionTheWorkerEndsWhileAnotherOperationWaitsIsNeitherCreditedToNorHeldBackByIt() throws Exception {
        try (jarapp.Gate.Held gate = jarapp.Gate.hold()) {
            PatchHandle held = Jars.lp().load(jar("fix-held-first", Map.of("Livepatch-Hold", jarapp.Gate.HOLD)));
            held.enable();
            assertTrue(held.inTransition());
            Path next = jar("fix-next", Map.of());
            java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
            Thread bob = new Thread(() -> {
                String before = io.jlivepatch.internal.core.Requester.enter("pid 42 user bob");
                try { // a load and enable waits for the running transition, the registry's lock released
                    io.jlivepatch.internal.core.PatchRegistry.installed().load(
                            io.jlivepatch.internal.jar.PatchJarBytes.read(next, io.jlivepatch.internal.jar.JarLimits.current()),
                            true, false);
                } catch (Throwable e) {
                    failed.set(e);
                } finally {
                    io.jlivepatch.internal.core.Requester.restore(before);
                }
            }, "bob");
            bob.start();
            for (int i = 0; i < 3000 && bob.getState() != Thread.State.TIMED_WAITING; i++) {
                Thread.sleep(1); // (either way the records below must be the same)
            }
            gate.open();
            bob.join();
            assertEquals(null, failed.get());
            List<String> log = Arrays.asList(Jars.auditLog());
            int end = indexOf(log, " transition fix-held-first by ");
            int load = indexOf(log, " load fix-next by pid 42 user bob: ok (registered, enabled)");
            assertTrue(log.get(end).contains(" transition fix-held-first by jlivepatch (for api): ok (patching complete)"),
                    log.get(end));
            assertTrue(end < load, "when it happened, not when bob's operation ended: " + log.subList(end, log.size()));
            assertTrue(log.get(load + 1).contains(" transition fix-next by pid 42 user bob: ok (patching complete)"),
                    log.subList(load, log.size()).toString());
        }
    }

    private static int indexOf(List<String> log, String fragment) {
        for (int i = log.size() - 1; i >= 0; i--) {
            if (log.get(i).contains(fragment)) {
                return i;
            }
        }
        throw new AssertionError("no '" + fragment + "' in " + log);
    }

    @Test
    void aTransitionTheWorkerEndsIsRecordedWhenItEndsForWhoStartedIt() throws Exception {
        try (jarapp.Gate.Held gate = jarapp.Gate.hold()) {
            Path jar = jar("fix-held-record", Map.of("Livepatch-Hold", jarapp.Gate.HOLD));
            PatchHandle h = Jars.lp().load(jar);
            h.enable();
            assertTrue(h.inTransition(), "held by the thread in the gate");
            String[] before = Jars.auditLog();
            assertTrue(before[before.length - 1].contains(" enable fix-held-record by api: ok"),
                    before[before.length - 1]);
            gate.open();
            assertTrue(h.awaitTransition(Duration.ofSeconds(30)));
            assertEquals(-1, new Counter().next());
            String[] after = Jars.auditLog(); // bounded: older lines may have gone, so compared by the last two
            assertTrue(after[after.length - 2].contains(" enable fix-held-record by api: ok"),
                    "nothing in between: " + after[after.length - 2]);
            assertTrue(after[after.length - 1].contains(" transition fix-held-record by jlivepatch (for api): ok"
                    + " (patching complete) [file " + jar + " sha256 "), after[after.length - 1]);
        }
    }
}
