package io.jlivepatch.internal.watch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static io.jlivepatch.internal.watch.WatchFixture.auditSince;
import static io.jlivepatch.internal.watch.WatchFixture.greet;
import static io.jlivepatch.internal.watch.WatchFixture.jar;
import static io.jlivepatch.internal.watch.WatchFixture.stack;
import static io.jlivepatch.internal.watch.WatchFixture.watch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The directory as the desired stack: each reconcile (called directly here, no thread) keeps the
 * bottom of the stack that matches, takes the rest down from the top, loads what is new in file
 * order, and puts a cumulative patch straight over the stack. Every step is the life cycle's own,
 * audited as the watch's.
 */
class ReconcileTest {

    @TempDir
    Path dir;

    @AfterEach
    void cleanUp() throws Exception {
        WatchFixture.removeAll();
    }

    @Test
    void aStackChangedByHandIsDriftedNotConvergedAndTheNextReconcilePutsTheDirectorysBack() throws Exception {
        jar(dir, "10-a.jar", "watch-a", "A");
        PatchDirectoryWatch w = watch(dir);
        w.reconcile();
        assertEquals("converged", w.status().state());
        long converged = w.status().lastReconcile();

        io.jlivepatch.PatchHandle a = WatchFixture.registry().find("watch-a").orElseThrow();
        a.disable(); // an operator, by hand
        assertEquals("drifted: the stack is watch-a(disabled), changed outside the watch; the next reconcile (the"
                + " directory's next change, or the interval) puts the directory's stack back", w.status().state(),
                "the fleet's monitoring must not read converged");
        a.unregister();
        assertTrue(w.status().state().startsWith("drifted: the stack is empty, changed outside the watch;"),
                w.status().state());
        assertEquals("watch-a", w.status().desired());
        assertEquals(converged, w.status().lastReconcile(), "no reconcile has run since");

        w.reconcile();
        assertEquals(List.of("watch-a"), stack());
        assertEquals("converged", w.status().state());
        assertEquals("A x", greet());
    }

    @Test
    void anEmptyDirectoryConvergesOnNoPatchAndEachNewJarIsLoadedInFileNameOrder() throws Exception {
        PatchDirectoryWatch w = watch(dir);
        w.reconcile();
        assertEquals("converged", w.status().state());
        assertEquals("", w.status().desired());
        assertTrue(w.status().lastReconcile() > 0);

        jar(dir, "20-b.jar", "watch-b", "B");
        jar(dir, "10-a.jar", "watch-a", "A");
        Instant start = Instant.now();
        w.reconcile();
        assertEquals(List.of("watch-a", "watch-b"), stack());
        assertEquals("converged", w.status().state());
        assertEquals("watch-a watch-b", w.status().desired());
        assertEquals("B x", greet(), "the top of the stack runs");
        List<String> audit = auditSince(start);
        assertEquals(List.of("load watch-a by watch: ok (registered, enabled)",
                "transition watch-a by watch: ok (patching complete)",
                "load watch-b by watch: ok (registered, enabled)",
                "transition watch-b by watch: ok (patching complete)",
                "reconcile " + dir + " by watch: ok (converged: watch-a watch-b)"), audit);

        Instant again = Instant.now();
        w.reconcile();
        assertEquals(List.of(), auditSince(again), "nothing to do: nothing done, nothing audited");
        assertEquals("converged", w.status().state());
    }

    @Test
    void aChangedJarTakesDownItAndEverythingAboveItInReverseOrderThenLoadsInOrder() throws Exception {
        jar(dir, "10-a.jar", "watch-a", "A");
        jar(dir, "20-b.jar", "watch-b", "B");
        PatchDirectoryWatch w = watch(dir);
        w.reconcile();
        assertEquals(List.of("watch-a", "watch-b"), stack());

        jar(dir, "10-a.jar", "watch-a", "A", false, "version 2 of a"); // same name, new content
        Instant start = Instant.now();
        w.reconcile();
        assertEquals(List.of("watch-a", "watch-b"), stack());
        assertEquals("version 2 of a", WatchFixture.registry().find("watch-a").orElseThrow().patch().description());
        assertEquals(List.of("disable watch-b by watch: ok", "transition watch-b by watch: ok (unpatching complete)",
                "unregister watch-b by watch: ok",
                "disable watch-a by watch: ok", "transition watch-a by watch: ok (unpatching complete)",
                "unregister watch-a by watch: ok",
                "load watch-a by watch: ok (registered, enabled)", "transition watch-a by watch: ok (patching complete)",
                "load watch-b by watch: ok (registered, enabled)", "transition watch-b by watch: ok (patching complete)",
                "reconcile " + dir + " by watch: ok (converged: watch-a watch-b)"), auditSince(start));

        Files.delete(dir.resolve("20-b.jar"));
        w.reconcile();
        assertEquals(List.of("watch-a"), stack(), "the bottom that still matches stays");
        assertEquals("A x", greet());

        Files.delete(dir.resolve("10-a.jar"));
        w.reconcile();
        assertEquals(List.of(), stack(), "no JAR: no patch");
        assertEquals("hello x", greet());
        assertEquals("converged", w.status().state());
    }

    @Test
    void aNewVersionThatIsRefusedPutsBackWhatWasTakenDownForIt() throws Exception {
        jar(dir, "10-a.jar", "watch-a", "A");
        jar(dir, "20-b.jar", "watch-b", "B");
        jar(dir, "30-c.jar", "watch-c", "C");
        PatchDirectoryWatch w = watch(dir);
        w.reconcile();
        assertEquals(List.of("watch-a", "watch-b", "watch-c"), stack());

        jar(dir, "20-b.jar", "watch-b", "NoSuchMethod", false, "version 2 of b, which cannot register");
        Instant start = Instant.now();
        w.reconcile();
        assertEquals(List.of("watch-a", "watch-b", "watch-c"), stack(), "the stack as it was");
        assertEquals("a test patch", WatchFixture.registry().find("watch-b").orElseThrow().patch().description(),
                "the version that worked");
        assertEquals("C x", greet());
        String state = w.status().state();
        assertTrue(state.startsWith("failed: 'watch-b' (20-b.jar, sha256 "), state);
        assertTrue(state.contains(" was refused: TARGET_NOT_FOUND: ") && state.endsWith("; 'watch-b' is back;"
                + " 'watch-c' is back"), state);
        List<String> audit = auditSince(start);
        assertTrue(audit.contains("load watch-b by watch: ok (registered, enabled)")
                && audit.contains("load watch-c by watch: ok (registered, enabled)"), audit.toString());

        jar(dir, "20-b.jar", "watch-b", "B", false, "version 3 of b");
        w.reconcile();
        assertEquals(List.of("watch-a", "watch-b", "watch-c"), stack());
        assertEquals("version 3 of b", WatchFixture.registry().find("watch-b").orElseThrow().patch().description());
        assertEquals("converged", w.status().state());
    }

    @Test
    void aRefusedNewVersionPutsBackPatchesTheWatchDidNotLoadItself() throws Exception {
        // Loaded before the watch began (at start-up without watch=, or by 'jlivepatch load'): the
        // watch adopts them (same name and content) and must put them back as it does its own.
        Path a = jar(dir, "10-a.jar", "watch-a", "A");
        Path b = jar(dir, "20-b.jar", "watch-b", "B");
        WatchFixture.registry().loadAndEnable(a);
        WatchFixture.registry().loadAndEnable(b);
        PatchDirectoryWatch w = watch(dir);
        w.reconcile();
        assertEquals("converged", w.status().state(), "adopted, nothing reloaded");

        jar(dir, "10-a.jar", "watch-a", "NoSuchMethod", false, "version 2 of a, which cannot register");
        w.reconcile();
        assertEquals(List.of("watch-a", "watch-b"), stack(), "the stack as it was");
        assertEquals("B x", greet());
        String state = w.status().state();
        assertTrue(state.endsWith("; 'watch-a' is back; 'watch-b' is back"), state);
    }

    @Test
    void aReconcileThatFailsHalfWayTakesItsNewVersionsOffBeforePuttingTheOldOnesBack() throws Exception {
        jar(dir, "10-a.jar", "watch-a", "A");
        jar(dir, "20-b.jar", "watch-b", "B");
        PatchDirectoryWatch w = watch(dir);
        w.reconcile();

        jar(dir, "10-a.jar", "watch-a", "C", false, "version 2 of a, which loads");
        jar(dir, "20-b.jar", "watch-b", "NoSuchMethod", false, "version 2 of b, which cannot register");
        w.reconcile();
        assertEquals(List.of("watch-a", "watch-b"), stack(), "the stack as it was");
        assertEquals("a test patch", WatchFixture.registry().find("watch-a").orElseThrow().patch().description(),
                "the old version of a, not the new one beside an old b");
        assertEquals("B x", greet());
        String state = w.status().state();
        assertTrue(state.endsWith("; 'watch-a' (new) is off again; 'watch-a' is back; 'watch-b' is back"), state);
    }

    @Test
    void aPatchTakenDownDisabledIsPutBackDisabled() throws Exception {
        jar(dir, "10-a.jar", "watch-a", "A");
        PatchDirectoryWatch w = watch(dir);
        w.reconcile();
        Path elsewhere = Files.createDirectory(dir.resolve(".elsewhere"));
        Path x = jar(elsewhere, "x.jar", "by-hand", "B");
        WatchFixture.registry().load(io.jlivepatch.internal.jar.PatchJarBytes.read(x,
                io.jlivepatch.internal.jar.JarLimits.current()), false, false); // registered, left off
        assertEquals(List.of("watch-a", "by-hand(disabled)"), stack());

        jar(dir, "10-a.jar", "watch-a", "NoSuchMethod", false, "version 2 of a, which cannot register");
        w.reconcile();
        assertEquals(List.of("watch-a", "by-hand(disabled)"), stack(), "what was off stays off");
        assertEquals("A x", greet());
        String state = w.status().state();
        assertTrue(state.endsWith("; 'watch-a' is back; 'by-hand' is back, disabled"), state);
    }

    @Test
    void aCumulativePatchGoesStraightOverTheStackAndTheJarsBeforeItAreNotLoaded() throws Exception {
        jar(dir, "10-a.jar", "watch-a", "A");
        jar(dir, "20-b.jar", "watch-b", "B");
        PatchDirectoryWatch w = watch(dir);
        w.reconcile();

        jar(dir, "30-c.jar", "watch-c", "C", true, "cumulative");
        Instant start = Instant.now();
        w.reconcile();
        assertEquals(List.of("watch-c"), stack());
        assertEquals("C x", greet());
        assertEquals("watch-c", w.status().desired());
        assertTrue(w.status().state().startsWith("converged; ignoring 10-a.jar ('watch-a' is replaced by cumulative"
                + " patch 'watch-c' of 30-c.jar), 20-b.jar"), w.status().state());
        // No patch came off before the cumulative one was in: its transition's end unregistered them (before its
        // closing callbacks, which its "complete" line follows).
        assertEquals(List.of("load watch-c by watch: ok (registered, enabled)",
                "unregister watch-a by watch: ok (replaced by 'watch-c', was enabled)",
                "unregister watch-b by watch: ok (replaced by 'watch-c', was enabled)",
                "transition watch-c by watch: ok (patching complete)",
                "reconcile " + dir + " by watch: ok (converged: watch-c)"), auditSince(start));

        // A JVM that starts now gets the cumulative patch alone.
        WatchFixture.removeAll();
        w.reconcile();
        assertEquals(List.of("watch-c"), stack());

        // A patch after the cumulative one goes on top of it.
        jar(dir, "40-a.jar", "watch-a2", "A");
        w.reconcile();
        assertEquals(List.of("watch-c", "watch-a2"), stack());
        assertEquals("A x", greet());
    }

    @Test
    void aCumulativePatchNamedAsALoadedOneComesOnAfterTheStackComesOff() throws Exception {
        jar(dir, "10-c.jar", "watch-c", "C", true, "v1");
        PatchDirectoryWatch w = watch(dir);
        w.reconcile();
        jar(dir, "10-c.jar", "watch-c", "A", true, "v2 under the same name");
        w.reconcile();
        assertEquals(List.of("watch-c"), stack());
        assertEquals("A x", greet());
        assertEquals("converged", w.status().state());
    }

    @Test
    void patchesLoadedByOthersAreTakenDownAndPatchesDisabledByHandAreEnabledFromTheDirectory() throws Exception {
        jar(dir, "10-a.jar", "watch-a", "A");
        PatchDirectoryWatch w = watch(dir);
        w.reconcile();
        Path elsewhere = Files.createDirectory(dir.resolve(".elsewhere"));
        WatchFixture.registry().loadAndEnable(jar(elsewhere, "b.jar", "by-hand", "B"));
        assertEquals(List.of("watch-a", "by-hand"), stack());

        w.reconcile();
        assertEquals(List.of("watch-a"), stack(), "the directory is the whole desired state");

        WatchFixture.registry().find("watch-a").orElseThrow().disable();
        w.reconcile();
        assertEquals(List.of("watch-a"), stack());
        assertEquals("A x", greet());
    }
}
