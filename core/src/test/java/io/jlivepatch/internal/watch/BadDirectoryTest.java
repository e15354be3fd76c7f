package io.jlivepatch.internal.watch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static io.jlivepatch.internal.watch.WatchFixture.auditSince;
import static io.jlivepatch.internal.watch.WatchFixture.greet;
import static io.jlivepatch.internal.watch.WatchFixture.jar;
import static io.jlivepatch.internal.watch.WatchFixture.settle;
import static io.jlivepatch.internal.watch.WatchFixture.stack;
import static io.jlivepatch.internal.watch.WatchFixture.watch;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whatever the directory holds, a reconcile that cannot be applied whole changes nothing: the stack
 * the directory asked for before stays, the state says what is wrong, and the next good state of the
 * directory is applied. Each case starts from one patch loaded from the directory.
 */
class BadDirectoryTest {

    @TempDir
    Path dir;

    private PatchDirectoryWatch w;

    @BeforeEach
    void oneGoodPatch() throws Exception {
        jar(dir, "10-a.jar", "watch-a", "A");
        w = watch(dir);
        w.reconcile();
        assertEquals(List.of("watch-a"), stack());
    }

    @AfterEach
    void cleanUp() throws Exception {
        WatchFixture.removeAll();
    }

    /** The stack and the patched method are as the good directory left them. */
    private void unchanged() throws Exception {
        assertEquals(List.of("watch-a"), stack());
        assertEquals("A x", greet());
    }

    private void failed(String... fragments) {
        String state = w.status().state();
        assertTrue(state.startsWith("failed: "), state);
        for (String f : fragments) {
            assertTrue(state.contains(f), () -> "'" + f + "' in: " + state);
        }
    }

    /**
     * A reconcile interrupted on its way (an application that interrupts every thread, the watch's
     * too) changes nothing, keeps the interrupt for its caller, and the next one applies the directory.
     */
    @Test
    void anInterruptedReconcileChangesNothingAndTheNextOneApplies() throws Exception {
        jar(dir, "20-b.jar", "watch-b", "B");
        Thread.currentThread().interrupt();
        boolean kept;
        try {
            w.reconcile();
        } finally {
            kept = Thread.interrupted();
        }
        assertTrue(kept, "the interrupt is its caller's");
        unchanged();
        // Said as an interrupt, not as a copy still being written (the JAR's read stopped at its open).
        assertTrue(w.status().state().startsWith("failed: ") && w.status().state().contains("interrupted"),
                w.status().state());
        w.reconcile();
        assertEquals(List.of("watch-a", "watch-b"), stack());
        assertEquals("converged", w.status().state());
    }

    @Test
    void aFileThatIsNotAJarByNameIsIgnoredAndSaidSo() throws Exception {
        Files.writeString(dir.resolve("README.txt"), "patches for the shop");
        Files.writeString(dir.resolve(".hidden.jar"), "an editor's file");
        Files.writeString(dir.resolve("20-b.jar.tmp"), "a copy in progress");
        w.reconcile();
        unchanged();
        assertEquals("converged; ignoring README.txt (not a .jar file)", w.status().state());
    }

    @Test
    void aTruncatedJarFailsTheReconcileBeforeAnythingChangesAndIsRetriedOnceWhole() throws Exception {
        byte[] whole = Files.readAllBytes(jar(dir, "05-b.jar", "watch-b", "B"));
        Path b = Files.write(dir.resolve("05-b.jar"), Arrays.copyOf(whole, whole.length / 2));
        settle(b);
        Instant start = Instant.now();
        w.reconcile();
        unchanged(); // 05-b.jar sorts below watch-a: applied, it would have taken watch-a down first
        failed("INVALID_PATCH", "05-b.jar");
        assertTrue(auditSince(start).get(0).startsWith("reconcile " + dir + " by watch: failed: INVALID_PATCH"),
                auditSince(start).toString());

        Instant again = Instant.now();
        w.reconcile();
        assertEquals(List.of(), auditSince(again), "the same failure is audited once");

        Files.write(b, whole);
        w.reconcile();
        assertEquals(List.of("watch-b", "watch-a"), stack());
        assertEquals("converged", w.status().state());
    }

    /**
     * File names in what the directory asks for keep it one word per entry, whatever they hold: a
     * space, parentheses, a line feed, a non-ASCII letter, a percent sign are written %XX (each byte of
     * their UTF-8), as in a URL, and every other character is a patch name's. Before, {@code 20 b.jar}
     * read as two entries, {@code 20} and {@code b.jar(refused)}, for a shell's word splitting and for
     * the monitoring label alike, and a line feed ended the Prometheus exporter's match; and the mark of
     * the files after it, {@code (not read)}, split each of them in two (now {@code (unread)}).
     */
    @Test
    void fileNamesInWhatTheDirectoryAsksForAreOneWordEach() throws Exception {
        byte[] whole = Files.readAllBytes(jar(dir, "20 b (new).jar", "watch-b", "B"));
        Path b = Files.write(dir.resolve("20 b (new).jar"), Arrays.copyOf(whole, whole.length / 2));
        settle(b);
        jar(dir, "30-c 100%.jar", "watch-c", "C");
        jar(dir, "40\nd.jar", "watch-d", "C"); // never read: the reading stops at 20
        w.reconcile();
        unchanged();
        failed("INVALID_PATCH", "20 b (new).jar");
        assertEquals("watch-a 20%20b%20%28new%29.jar(refused) 30-c%20100%25.jar(unread) 40%0Ad.jar(unread)",
                w.status().desired());
        assertEquals(4, w.status().desired().split(" ").length, "one word per entry");
        // a name the file system may not take under every locale: the writing alone
        assertEquals("10-%C3%A9t%C3%A9.jar(refused)", WatchedDirectory.asked(List.of("10-\u00e9t\u00e9.jar"),
                List.of(), "(refused)"));
    }

    /**
     * A JAR the watch refuses leaves the stack as it was, and status says what the directory asks for
     * now, not what it asked for before: the JARs read by their patches, the refused one by its file,
     * those after it unread. Before, {@code desired} stayed {@code watch-a}, the last good reading.
     */
    @Test
    void aRefusedJarIsInWhatTheDirectoryAsksFor() throws Exception {
        byte[] whole = Files.readAllBytes(jar(dir, "20-b.jar", "watch-b", "B"));
        Path b = Files.write(dir.resolve("20-b.jar"), Arrays.copyOf(whole, whole.length / 2));
        settle(b);
        jar(dir, "30-c.jar", "watch-c", "C");
        w.reconcile();
        unchanged();
        failed("INVALID_PATCH", "20-b.jar");
        assertEquals("watch-a 20-b.jar(refused) 30-c.jar(unread)", w.status().desired());

        Files.write(b, whole);
        w.reconcile();
        assertEquals(List.of("watch-a", "watch-b", "watch-c"), stack());
        assertEquals("watch-a watch-b watch-c", w.status().desired());
    }

    @Test
    void aFileStillBeingWrittenIsWaitedFor() throws Exception {
        byte[] whole = Files.readAllBytes(jar(dir, "20-b.jar", "watch-b", "B"));
        Files.write(dir.resolve("20-b.jar"), Arrays.copyOf(whole, 100)); // written just now
        w.reconcile();
        unchanged();
        assertTrue(w.status().state().startsWith("waiting: 20-b.jar does not read as a whole patch JAR yet"),
                w.status().state());
        assertEquals("watch-a 20-b.jar(waiting)", w.status().desired());
    }

    @Test
    void aBrokenJarWhoseTimeIsAheadOfThisHostsClockFailsOnceSeenUnchangedForTheSettleTime() throws Exception {
        AtomicLong clock = new AtomicLong(System.currentTimeMillis());
        w = new PatchDirectoryWatch(WatchFixture.registry(), new WatchOptions(dir, Duration.ofHours(1),
                Duration.ofSeconds(30)), new WatchedDirectory(dir, clock::get, () -> { }));
        byte[] whole = Files.readAllBytes(jar(dir, "20-b.jar", "watch-b", "B"));
        Path b = Files.write(dir.resolve("20-b.jar"), Arrays.copyOf(whole, whole.length / 2)); // never completed
        FileTime ahead = FileTime.fromMillis(clock.get() + 3_600_000); // the writer's clock, or an NFS server's
        Files.setLastModifiedTime(b, ahead);
        Instant start = Instant.now();
        w.reconcile();
        String waiting = "waiting: 20-b.jar does not read as a whole patch JAR yet and its modification time is"
                + " ahead of this host's clock: taken for a copy still being written";
        assertEquals(waiting, w.status().state());

        clock.addAndGet(WatchedDirectory.SETTLE_MILLIS - 1);
        w.reconcile();
        assertEquals(waiting, w.status().state(), "not yet settled since it was first seen");
        assertEquals(List.of(), auditSince(start));

        clock.addAndGet(1);
        w.reconcile();
        unchanged();
        failed("INVALID_PATCH", "20-b.jar");
        assertTrue(auditSince(start).get(0).startsWith("reconcile " + dir + " by watch: failed: INVALID_PATCH"),
                auditSince(start).toString());

        // A copy that is still growing is a new version each time: waited for again.
        Files.write(b, Arrays.copyOf(whole, whole.length * 3 / 4));
        Files.setLastModifiedTime(b, ahead);
        w.reconcile();
        assertEquals(waiting, w.status().state());
        unchanged();
    }

    @Test
    void aWholeJarThatIsNoPatchFailsAtOnceHoweverNew() throws Exception {
        jar(dir, "20-b.jar", "watch-b", "B");
        java.util.Map<String, String> noName = io.jlivepatch.jar.Jars.manifest("watch-b", "watchapp.fix.GreetingB");
        noName.remove("Livepatch-Name");
        io.jlivepatch.jar.Jars.write(dir.resolve("20-b.jar"), noName,
                io.jlivepatch.jar.Jars.classes("watchapp.fix.GreetingB")); // written just now, but whole
        w.reconcile();
        unchanged();
        failed("INVALID_PATCH", "20-b.jar", "Livepatch-Name");
    }

    @Test
    void aDanglingLinkAndAPipeNamedAsJarsFail() throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("20-b.jar"), dir.resolve("nowhere.jar"));
        w.reconcile();
        unchanged();
        failed("20-b.jar is a symbolic link to nothing readable");
        Files.delete(link);

        Process mkfifo = new ProcessBuilder("mkfifo", dir.resolve("30-c.jar").toString()).start();
        assertEquals(0, mkfifo.waitFor(), "mkfifo");
        w.reconcile(); // must not block on the pipe
        unchanged();
        failed("30-c.jar is not a regular file");
    }

    @Test
    void anEmptyFileIsNeverReadAndFailsOnceSettled() throws Exception {
        // The kernel's files under /proc say they are empty too (/proc/kmsg would hold the watch thread).
        Path b = Files.createFile(dir.resolve("20-b.jar"));
        w.reconcile();
        unchanged();
        assertTrue(w.status().state().startsWith("waiting: 20-b.jar does not read as a whole patch JAR yet"),
                w.status().state());
        settle(b);
        w.reconcile();
        unchanged();
        failed("INVALID_PATCH", "20-b.jar: is empty (0 bytes");
    }

    @Test
    void aJarWithNoPatchInItFails() throws Exception {
        Path b = Files.write(dir.resolve("20-b.jar"), "not a zip at all".getBytes());
        settle(b);
        w.reconcile();
        unchanged();
        failed("INVALID_PATCH", "20-b.jar");
    }

    @Test
    void twoJarsWithOnePatchNameFail() throws Exception {
        jar(dir, "20-a-again.jar", "watch-a", "B");
        w.reconcile();
        unchanged();
        failed("10-a.jar and 20-a-again.jar both hold patch 'watch-a'", "remove one of them");
    }

    @Test
    void tooManyJarsOrTooManyFilesFail() throws Exception {
        for (int i = 0; i <= WatchedDirectory.MAX_PATCH_JARS; i++) {
            Files.write(dir.resolve(String.format("50-%03d.jar", i)), new byte[0]);
        }
        w.reconcile();
        unchanged();
        failed("holds 102 .jar files, more than the 100");

        for (int i = 0; i < 10_000; i++) {
            Files.write(dir.resolve("f" + i), new byte[0]);
        }
        w.reconcile();
        unchanged();
        failed("holds more than 1000 entries");
    }

    @Test
    void aDirectoryThatGoesAwayKeepsTheStackAndOneThatComesBackIsApplied() throws Exception {
        Path moved = dir.resolveSibling(dir.getFileName() + "-moved");
        Files.move(dir, moved);
        try {
            w.reconcile();
            unchanged();
            assertTrue(w.status().state().startsWith("waiting: patch directory " + dir + " does not exist (yet)"),
                    w.status().state());
            assertEquals("watch-a", w.status().desired(), "what it last asked for");
        } finally {
            Files.move(moved, dir);
        }
        Files.delete(dir.resolve("10-a.jar"));
        w.reconcile();
        assertEquals(List.of(), stack());
    }

    @Test
    void aFileInsteadOfTheDirectoryFails() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        PatchDirectoryWatch other = watch(file);
        other.reconcile();
        unchanged();
        String state = other.status().state();
        assertTrue(state.startsWith("failed: " + file + " is not a directory"), state);
        // words for the agent's option and the command alike (the command's user never typed patches=)
        assertTrue(state.contains("a watch (patches=, 'jlivepatch watch') takes a directory of patch JARs"), state);
    }

    @Test
    void anUnreadableDirectoryFails() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse("root".equals(System.getProperty("user.name")),
                "root reads a directory whatever its permissions");
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("-wx------"));
        try {
            w.reconcile();
            unchanged();
            failed("cannot be read", "permissions");
        } finally {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
    }
}
