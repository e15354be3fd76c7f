package io.jlivepatch.internal.core;

import io.jlivepatch.internal.BoundedOpen;
import io.jlivepatch.internal.Fifos;
import io.jlivepatch.json.JsonReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The audit file's line format and how it opens its file. The one audit file per JVM
 * ({@link AuditFile#configure}) is tested in a JVM of its own: agent's AuditIT.
 */
class AuditFileTest {

    private static final String HOSTILE = "fix\n{\"time\":\"forged\"}\r\u001b[2J\u0085\u2028\u202e\"\\\ud800";

    @TempDir
    Path dir;

    @Test
    void aRecordIsOneJsonLineWhateverItsTextAndReadsBackExactly() {
        Instant time = Instant.parse("2026-12-01T13:00:00Z");
        byte[] bytes = AuditFile.line(time, "load", HOSTILE, "refused INVALID_PATCH: " + HOSTILE, "pid 1 user " + HOSTILE,
                "/tmp/" + HOSTILE + ".jar", "ab12", "CN=" + HOSTILE);
        String line = new String(bytes, StandardCharsets.UTF_8);
        assertTrue(line.endsWith("}\n"), line);
        String body = line.substring(0, line.length() - 1);
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            assertFalse(Character.isISOControl(c) || c == '\u2028' || c == '\u202e' || Character.isSurrogate(c),
                    "raw U+" + Integer.toHexString(c) + " at " + i + " in " + body);
        }
        Map<?, ?> record = (Map<?, ?>) JsonReader.parse(body);
        assertEquals(List.of("time", "operation", "patch", "outcome", "requester", "source", "sha256", "signer"),
                List.copyOf(record.keySet()));
        assertEquals("2026-12-01T13:00:00Z", record.get("time"));
        assertEquals(HOSTILE, record.get("patch"));
        assertEquals("refused INVALID_PATCH: " + HOSTILE, record.get("outcome"));
        assertEquals("pid 1 user " + HOSTILE, record.get("requester"));
        assertEquals("/tmp/" + HOSTILE + ".jar", record.get("source"));
        assertEquals("CN=" + HOSTILE, record.get("signer"));
    }

    @Test
    void theFileIsCreatedOwnerOnlyAndAppendedToNeverTruncated() throws Exception {
        assumeTrue(posix());
        Path file = dir.resolve("audit.jsonl");
        try (PrivateAppendFile f = PrivateAppendFile.open(file)) {
            f.write("one\n".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        try (PrivateAppendFile f = PrivateAppendFile.open(file)) {
            f.write("two\n".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(List.of("one", "two"), Files.readAllLines(file));
    }

    @Test
    void aFileMovedAwayOrRemovedIsFollowedByANewOneAtItsPath() throws Exception {
        assumeTrue(posix());
        Path file = dir.resolve("rotated.jsonl");
        AuditFile f = AuditFile.start(file, file.toString()); // an instance of its own (see below)
        f.append("{\"n\":0}\n".getBytes(StandardCharsets.UTF_8));
        Path rotated = Files.move(file, dir.resolve("rotated.jsonl.1")); // logrotate without copytruncate
        f.append("{\"n\":1}\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("{\"n\":0}"), Files.readAllLines(rotated));
        assertEquals(List.of("{\"n\":1}"), Files.readAllLines(file), "the trail goes on at the path");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        Files.delete(file);
        f.append("{\"n\":2}\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("{\"n\":2}"), Files.readAllLines(file));
        assertEquals(null, f.currentProblem());
    }

    /**
     * The file replaced while the JVM runs by what jlivepatch refuses (a directory, then a symbolic link to a
     * file elsewhere): no record goes into it or through it, each is counted, status says why, and once a
     * file is back at the path the first line there notes every record it lacks.
     */
    @Test
    void aFileReplacedByADirectoryOrASymbolicLinkWhileRunningTakesNoRecordAndTheGapIsNotedOnceAFileIsBack()
            throws Exception {
        assumeTrue(posix());
        Path file = dir.resolve("replaced.jsonl");
        AuditFile f = AuditFile.start(file, file.toString()); // an instance of its own (see above)
        f.append("{\"n\":0}\n".getBytes(StandardCharsets.UTF_8));
        Path first = Files.move(file, dir.resolve("replaced.jsonl.1"));
        Files.createDirectory(file);
        f.append("{\"n\":1}\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("cannot write " + file + ": it is not a regular file (1 record not written to it, see"
                + " 'status --log')", f.currentProblem());
        try (java.util.stream.Stream<Path> in = Files.list(file)) {
            assertEquals(0, in.count(), "nothing written into the directory");
        }
        Files.delete(file);
        Path elsewhere = Files.writeString(dir.resolve("elsewhere"), "");
        Files.createSymbolicLink(file, elsewhere);
        f.append("{\"n\":2}\n".getBytes(StandardCharsets.UTF_8));
        assertTrue(f.currentProblem().startsWith("cannot write " + file + ": it is a symbolic link, which jlivepatch"
                + " does not follow"), f.currentProblem());
        assertTrue(f.currentProblem().endsWith(" (2 records not written to it, see 'status --log')"), f.currentProblem());
        assertEquals("", Files.readString(elsewhere), "nothing written through the link");
        Files.delete(file);
        f.append("{\"n\":3}\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(null, f.currentProblem());
        assertEquals(List.of("{\"n\":0}"), Files.readAllLines(first));
        List<String> lines = Files.readAllLines(file);
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("\"operation\":\"audit-gap\",\"patch\":\"\",\"outcome\":\"2 records were not"
                + " written to this file since "), lines.get(0));
        assertEquals("{\"n\":3}", lines.get(1));
        assertTrue(f.notWrittenSoFar().startsWith("2 records not written to it since it was opened"), f.notWrittenSoFar());
    }

    @Test
    void anExistingFileKeepsItsModeAndContent() throws Exception {
        assumeTrue(posix());
        Path file = Files.writeString(dir.resolve("audit.jsonl"), "old\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        try (PrivateAppendFile f = PrivateAppendFile.open(file)) {
            f.write("new\n".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(List.of("old", "new"), Files.readAllLines(file));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    }

    @Test
    void aSymbolicLinkIsNotFollowed() throws Exception {
        assumeTrue(posix());
        Path target = Files.writeString(dir.resolve("elsewhere"), "");
        Path link = Files.createSymbolicLink(dir.resolve("audit.jsonl"), target);
        PrivateAppendFile.Problem p = assertThrows(PrivateAppendFile.Problem.class, () -> PrivateAppendFile.open(link));
        assertTrue(p.getMessage().startsWith("it is a symbolic link, which jlivepatch does not follow"), p.getMessage());
        assertEquals("", Files.readString(target));
    }

    @Test
    void aFifoIsRefusedWithoutOpeningIt() throws Exception {
        assumeTrue(posix());
        Path fifo = Fifos.make(dir.resolve("audit.jsonl"));
        // Opened for writing, a FIFO nobody reads blocks the open for good: a hang detector, not a timing.
        PrivateAppendFile.Problem p = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                java.time.Duration.ofSeconds(30), () -> assertThrows(PrivateAppendFile.Problem.class,
                        () -> PrivateAppendFile.open(fifo)));
        assertEquals("it is not a regular file", p.getMessage());
    }

    @Test
    void aFifoPutInItsPlaceAfterTheChecksIsRefusedOnceOpened() throws Exception {
        assumeTrue(posix());
        Path file = Files.writeString(dir.resolve("audit.jsonl"), "");
        Path fifo = Fifos.make(dir.resolve("fifo"));
        java.nio.channels.FileChannel[] reader = new java.nio.channels.FileChannel[1];
        PrivateAppendFile.beforeOpenForTests = () -> {
            try {
                // Renamed over the checked file, and someone reads it (read-write: never waits on Linux),
                // so that the open for appending returns at once: the trail would go to that reader.
                Files.move(fifo, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                reader[0] = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ,
                        java.nio.file.StandardOpenOption.WRITE);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        try {
            PrivateAppendFile.Problem p = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                    java.time.Duration.ofSeconds(30), () -> assertThrows(PrivateAppendFile.Problem.class,
                            () -> PrivateAppendFile.open(file)));
            assertEquals("it is not a regular file (so found once it was opened: it was replaced after it was"
                    + " checked)", p.getMessage());
        } finally {
            PrivateAppendFile.beforeOpenForTests = null;
            if (reader[0] != null) {
                reader[0].close();
            }
        }
    }

    /** What a refused open whose wait ran out says, where the path named a regular file of this user's or nothing. */
    private static final String NOT_OPENED = "it could not be opened within 200 ms, though it was a regular file of"
            + " this JVM's user, or absent, when checked: something else is there now (a pipe nobody reads, whose open"
            + " waits for a reader; a device), or its file system does not answer; nothing was written to it, and the"
            + " next record opens the file at the path again";

    /** Renames {@code from} over {@code to}, as mv does. */
    private static void move(Path from, Path to) {
        try {
            Files.move(from, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aFifoNobodyReadsPutInItsPlaceAfterTheChecksIsRefusedWithinTheWaitAndLeftAsItIs() throws Exception {
        assumeTrue(posix());
        Path file = Files.writeString(dir.resolve("audit.jsonl"), "");
        Path fifo = Fifos.make(dir.resolve("fifo"));
        // Renamed over the checked file, and nobody reads it: the open for appending waits for a reader.
        PrivateAppendFile.beforeOpenForTests = () -> move(fifo, file);
        BoundedOpen.waitForTests(java.time.Duration.ofMillis(200)); // it never returns by itself
        try {
            PrivateAppendFile.Problem p = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Fifos.HANG,
                    () -> assertThrows(PrivateAppendFile.Problem.class, () -> PrivateAppendFile.open(file)));
            assertEquals(NOT_OPENED, p.getMessage());
            // Released (the pipe there opened read-write stands for its reader): the thread ends.
            Fifos.awaitNoOpener();
        } finally {
            PrivateAppendFile.beforeOpenForTests = null;
            BoundedOpen.waitForTests(null);
        }
        // The pipe is left there, refused by the checks, never opened again; a file put back is appended to.
        PrivateAppendFile.Problem again = assertThrows(PrivateAppendFile.Problem.class, () -> PrivateAppendFile.open(file));
        assertEquals("it is not a regular file", again.getMessage());
        Files.delete(file);
        try (PrivateAppendFile f = PrivateAppendFile.open(file)) {
            f.write("one\n".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(List.of("one"), Files.readAllLines(file));
    }

    @Test
    void aFifoNobodyWritesPutInItsPlaceAfterTheOpenIsRefusedWithinTheWaitNotReadForGood() throws Exception {
        assumeTrue(posix());
        Path file = Files.writeString(dir.resolve("audit.jsonl"), "");
        Path fifo = Fifos.make(dir.resolve("fifo"));
        // Renamed over the file once it is open and checked, before its last byte is read: that read
        // opens the path again, and a pipe's open for reading waits for a writer.
        PrivateAppendFile.beforeReadForTests = () -> move(fifo, file);
        BoundedOpen.waitForTests(java.time.Duration.ofMillis(200)); // it never returns by itself
        try {
            PrivateAppendFile.Problem p = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Fifos.HANG,
                    () -> assertThrows(PrivateAppendFile.Problem.class, () -> PrivateAppendFile.open(file)));
            assertEquals("it did not open again for reading its last byte within 200 ms: something else is there"
                    + " now (a pipe nobody writes; a device); nothing was written to it, and the next record opens"
                    + " the file at the path again (so found once it was opened: it was replaced after it was"
                    + " checked)", p.getMessage());
            Fifos.awaitNoOpener(); // released: the pipe there, opened read-write, stands for its writer
        } finally {
            PrivateAppendFile.beforeReadForTests = null;
            BoundedOpen.waitForTests(null);
            if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                Fifos.release(file); // before the fix: the read blocked for good on this pipe
            }
        }
        PrivateAppendFile.Problem again = assertThrows(PrivateAppendFile.Problem.class, () -> PrivateAppendFile.open(file));
        assertEquals("it is not a regular file", again.getMessage());
    }

    @Test
    void anOpenThatDidNotReturnIsShownInStatusAndLoggedAndTheTrailGoesOnOnceAFileIsThere() throws Exception {
        assumeTrue(posix());
        List<LogRecord> logged = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                logged.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger logger = Logger.getLogger("io.jlivepatch");
        logger.addHandler(handler);
        Path file = dir.resolve("audit.jsonl"); // absent: created by the open
        Path fifo = Fifos.make(dir.resolve("fifo"));
        PrivateAppendFile.beforeOpenForTests = () -> {
            if (Files.exists(fifo, java.nio.file.LinkOption.NOFOLLOW_LINKS)) { // once: the writer's first open
                move(fifo, file);
            }
        };
        BoundedOpen.waitForTests(java.time.Duration.ofMillis(200));
        try {
            // Not this JVM's audit file: an instance of its own, whose writer opens the file at once.
            AuditFile f = AuditFile.start(file, file.toString());
            String problem = "cannot write " + file + ": " + NOT_OPENED;
            List<String> expected = List.of("audit file: " + problem + "; operations go on, recorded in memory only"
                    + " ('jlivepatch status --log')");
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Fifos.HANG, () -> {
                while (messages(logged, Level.WARNING).isEmpty()) {
                    Thread.sleep(10);
                }
            });
            assertEquals(expected, messages(logged, Level.WARNING));
            assertEquals(problem, f.currentProblem());
            Fifos.awaitNoOpener();

            Files.delete(file); // the pipe, left there until someone removes it
            f.append("{\"n\":0}\n".getBytes(StandardCharsets.UTF_8));
            assertEquals(null, f.currentProblem());
            assertEquals(List.of("{\"n\":0}"), Files.readAllLines(file));
        } finally {
            PrivateAppendFile.beforeOpenForTests = null;
            BoundedOpen.waitForTests(null);
            logger.removeHandler(handler);
        }
    }

    @Test
    void anEarlierOpenOfItsPathThatStillBlocksRefusesTheOpen() throws Exception {
        assumeTrue(posix());
        Path fifo = Fifos.make(dir.resolve("fifo"));
        Path file = Files.createSymbolicLink(dir.resolve("audit.jsonl"), fifo);
        BoundedOpen.waitForTests(java.time.Duration.ofMillis(200));
        try {
            // An open of the path that nothing can release: a read through a link to a pipe. The audit
            // file's own open follows no link; a pipe moved away as it was opened blocks it the same way,
            // but cannot be made to happen at will.
            assertEquals(null, org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Fifos.HANG,
                    () -> BoundedOpen.open(file, java.util.Set.of(java.nio.file.StandardOpenOption.READ))));
            Files.delete(file);
            Files.writeString(file, "");
            PrivateAppendFile.Problem p = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Fifos.HANG,
                    () -> assertThrows(PrivateAppendFile.Problem.class, () -> PrivateAppendFile.open(file)));
            assertTrue(p.getMessage().startsWith("an open of it begun ") && p.getMessage().endsWith(": open that pipe"
                    + " from its other end, or restart the JVM"), p.getMessage());
            assertEquals("", Files.readString(file));
        } finally {
            BoundedOpen.waitForTests(null);
            Fifos.release(fifo);
        }
        try (PrivateAppendFile f = PrivateAppendFile.open(file)) {
            f.write("one\n".getBytes(StandardCharsets.UTF_8));
        }
        assertEquals(List.of("one"), Files.readAllLines(file));
    }

    @Test
    void aHardLinkToAnotherFileIsRefused() throws Exception {
        assumeTrue(posix());
        // The user's own file elsewhere (~/.ssh/authorized_keys, say), linked at the audit path by
        // whoever can write the audit file's directory: owned by the right user, and no symbolic link.
        Path target = Files.writeString(dir.resolve("elsewhere"), "keep\n");
        Path link;
        try {
            link = Files.createLink(dir.resolve("audit.jsonl"), target);
        } catch (UnsupportedOperationException | java.io.IOException e) {
            assumeTrue(false, "no hard links on this file system: " + e);
            return;
        }
        PrivateAppendFile.Problem p = assertThrows(PrivateAppendFile.Problem.class, () -> PrivateAppendFile.open(link));
        assertEquals("it has 2 hard links (names), so another name may be a file that is not the audit trail;"
                + " jlivepatch appends only to a file of one name (remove the link, or name another file)", p.getMessage());
        assertEquals("keep\n", Files.readString(target));
    }

    @Test
    void aMissingDirectoryADirectoryAndAnotherUsersFileAreRefusedSayingWhy() throws Exception {
        assumeTrue(posix());
        PrivateAppendFile.Problem missing = assertThrows(PrivateAppendFile.Problem.class,
                () -> PrivateAppendFile.open(dir.resolve("no-such-dir/audit.jsonl")));
        assertEquals("its directory does not exist", missing.getMessage());
        assertFalse(Files.exists(dir.resolve("no-such-dir")));

        PrivateAppendFile.Problem directory = assertThrows(PrivateAppendFile.Problem.class,
                () -> PrivateAppendFile.open(dir));
        assertEquals("it is not a regular file", directory.getMessage());

        Path theirs = Files.writeString(dir.resolve("theirs.jsonl"), "");
        UserPrincipal nobody;
        try {
            nobody = theirs.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
            Files.setOwner(theirs, nobody);
        } catch (java.io.IOException e) {
            assumeTrue(false, "only root can give a file away: " + e);
            return;
        }
        PrivateAppendFile.Problem owner = assertThrows(PrivateAppendFile.Problem.class,
                () -> PrivateAppendFile.open(theirs));
        assertTrue(owner.getMessage().startsWith("it is owned by nobody (uid ") && owner.getMessage().contains(
                "not by this JVM's user (uid ") && owner.getMessage().endsWith(": jlivepatch appends only to an audit file"
                + " of its own user (remove it, or name another file)"), owner.getMessage());
        assertEquals("", Files.readString(theirs));
    }

    @Test
    void aFileThatCannotBeWrittenIsLoggedOnceCountedAndItsGapNotedInTheFileOnceAWriteSucceeds() throws Exception {
        List<LogRecord> logged = new CopyOnWriteArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                logged.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        Logger logger = Logger.getLogger("io.jlivepatch");
        Level level = logger.getLevel();
        logger.setLevel(Level.INFO);
        logger.addHandler(handler);
        try {
            Path later = dir.resolve("later");
            Path file = later.resolve("audit.jsonl");
            // Not this JVM's audit file (configure is once per JVM): an instance of its own, whose
            // writer thread stays behind, idle, when the test ends.
            AuditFile f = AuditFile.start(file, file.toString());
            for (int i = 0; i < 3; i++) {
                f.append(("{\"n\":" + i + "}\n").getBytes(StandardCharsets.UTF_8)); // returns once written or failed
            }
            String problem = "cannot write " + file + ": its directory does not exist";
            assertEquals(problem + " (3 records not written to it, see 'status --log')", f.currentProblem());
            List<String> warnings = messages(logged, Level.WARNING);
            assertEquals(List.of("audit file: " + problem + "; operations go on, recorded in memory only"
                    + " ('jlivepatch status --log')"), warnings, "once, not per record");

            Files.createDirectories(later);
            f.append("{\"n\":3}\n".getBytes(StandardCharsets.UTF_8));
            assertEquals(null, f.currentProblem());
            List<String> lines = Files.readAllLines(file);
            assertEquals(2, lines.size(), lines.toString());
            // The file itself says what it lacks, before the next line that got there.
            assertTrue(lines.get(0).matches("\\{\"time\":\"[^\"]+\",\"operation\":\"audit-gap\",\"patch\":\"\","
                    + "\"outcome\":\"3 records were not written to this file since [^\"]+ \\(the JVM's log says why;"
                    + " 'jlivepatch status --log' has the last records\\)\",\"requester\":\"jlivepatch\",.*"), lines.get(0));
            assertEquals("{\"n\":3}", lines.get(1));
            assertTrue(f.notWrittenSoFar().startsWith("3 records not written to it since it was opened, the last at "),
                    "not forgotten once a write succeeds: " + f.notWrittenSoFar());
            f.append("{\"n\":4}\n".getBytes(StandardCharsets.UTF_8));
            assertEquals(3, Files.readAllLines(file).size(), "one gap line per gap");
            assertEquals(List.of("audit file: writing " + file + " again; 3 records were not written to it"),
                    messages(logged, Level.INFO));
        } finally {
            logger.removeHandler(handler);
            logger.setLevel(level);
        }
    }

    @Test
    void aGapLineSaysSinceTheFirstLostRecordsOwnTimeNotTheFailedWritesAfterIt() throws Exception {
        Path later = dir.resolve("gap-since");
        Path file = later.resolve("audit.jsonl");
        AuditFile f = AuditFile.start(file, file.toString()); // the directory does not exist yet
        Instant first = Instant.parse("2026-01-02T03:04:05.123456Z");
        f.append(AuditFile.line(first.plusSeconds(2), "enable", "p", "ok", "api", "", "", ""));
        f.append(AuditFile.line(first, "load", "p", "ok", "api", "", "", "")); // a record made earlier, queued later
        Files.createDirectories(later);
        f.append(AuditFile.line(Instant.now(), "disable", "p", "ok", "api", "", "", ""));
        List<String> lines = Files.readAllLines(file);
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("\"outcome\":\"2 records were not written to this file since " + first + " ("),
                lines.get(0));
        assertTrue(f.notWrittenSoFar().contains(", the last at " + first.plusSeconds(2) + " ("), f.notWrittenSoFar());
        assertEquals(first, AuditFile.timeOf(AuditFile.line(first, "x", "", "", "", "", "", "")));
        assertEquals(null, AuditFile.timeOf("{\"n\":1}\n".getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Application code that interrupts every thread reaches the writer too, between two lines as often
     * as in its wait: the interrupt found set when a line is to be written costs no line. Before, the
     * file's channel closed at the write and each open after it was refused for the interrupt, so every
     * line queued meanwhile was lost (counted and its gap noted, but lost).
     */
    @Test
    void anInterruptOfTheWriterBetweenLinesLosesNoLine() throws Exception {
        Path file = dir.resolve("interrupted.jsonl");
        AuditFile f = AuditFile.unstarted(file, file.toString());
        Instant time = Instant.parse("2026-12-01T13:00:00Z");
        f.enqueue(time, "enable", "p", "ok", "api", "", "", "");
        f.enqueue(time, "disable", "p", "ok", "api", "", "", "");
        // The writer's loop on a thread of the test's, interrupted as it begins: the interrupt is there
        // when it opens the file and writes the queued lines. It stays behind, idle, when the test ends.
        Thread writer = new Thread(() -> {
            Thread.currentThread().interrupt();
            f.run();
        }, "interrupted-audit-writer");
        writer.setDaemon(true);
        writer.start();
        assertEquals(0, f.drain(java.util.concurrent.TimeUnit.SECONDS.toMillis(30)), "lines not written: "
                + f.currentProblem());
        List<String> lines = Files.readAllLines(file);
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("\"operation\":\"enable\""), lines.get(0));
        assertTrue(lines.get(1).contains("\"operation\":\"disable\""), lines.get(1));
        assertEquals(null, f.currentProblem());
    }

    /**
     * An interrupt that lands during a line's write (after the writer cleared the one found set) closes
     * the file's channel: the file is opened again and the line written there, once. Before, the line was
     * lost (counted, and its gap noted in the file).
     */
    @Test
    void anInterruptDuringALinesWriteLosesNoLine() throws Exception {
        Path file = dir.resolve("interrupted-write.jsonl");
        AuditFile f = AuditFile.unstarted(file, file.toString());
        Instant time = Instant.parse("2026-12-01T13:00:00Z");
        f.enqueue(time, "enable", "p", "ok", "api", "", "", "");
        f.enqueue(time, "disable", "p", "ok", "api", "", "", "");
        java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
        PrivateAppendFile.beforeWriteForTests = () -> {
            if (writes.incrementAndGet() == 1) {
                Thread.currentThread().interrupt(); // as an application's interrupt during the write
            }
        };
        try {
            f.startWriter();
            assertEquals(0, f.drain(java.util.concurrent.TimeUnit.SECONDS.toMillis(30)), "lines not written: "
                    + f.currentProblem());
        } finally {
            PrivateAppendFile.beforeWriteForTests = null;
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("\"operation\":\"enable\""), lines.get(0));
        assertTrue(lines.get(1).contains("\"operation\":\"disable\""), lines.get(1));
        assertEquals(null, f.currentProblem());
        assertEquals("", f.notWrittenSoFar());
        assertEquals(3, writes.get(), "the interrupted write, its retry, the next line");
    }

    /**
     * An interrupt that lands while the writer waits for the file's open (BoundedOpen stops waiting,
     * ClosedByInterruptException) costs no line: the open is asked again. Before, it was a failure to open
     * as any other: the first record of a JVM whose main interrupts every other thread every millisecond
     * was lost so (by hand: 'cannot write ...: java.nio.channels.ClosedByInterruptException', then an
     * audit-gap line). Here the writer is interrupted in its wait for its first two opens: the one at its
     * start and the one for the line.
     */
    @Test
    void anInterruptDuringTheFilesOpenLosesNoLine() throws Exception {
        Path file = dir.resolve("interrupted-open.jsonl");
        AuditFile f = AuditFile.unstarted(file, file.toString());
        Instant time = Instant.parse("2026-12-01T13:00:00Z");
        f.enqueue(time, "enable", "p", "ok", "api", "", "", "");
        java.util.concurrent.atomic.AtomicReference<Thread> writer = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicInteger interrupts = new java.util.concurrent.atomic.AtomicInteger(2);
        java.util.concurrent.Semaphore givenUp = new java.util.concurrent.Semaphore(0);
        PrivateAppendFile.beforeOpenForTests = () -> writer.set(Thread.currentThread());
        // On the opening thread, before its open: the writer is interrupted once it waits for this open, and
        // the open held until the writer has given it up (its release begins), so that it cannot be done first
        BoundedOpen.holdOpensForTests(() -> {
            Thread w = writer.get();
            if (w == null || !Thread.currentThread().getName().endsWith(file.toString())
                    || interrupts.getAndDecrement() <= 0) {
                return;
            }
            long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (w.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < end) {
                Thread.onSpinWait();
            }
            w.interrupt();
            try {
                givenUp.tryAcquire(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        BoundedOpen.holdReleasesForTests(givenUp::release);
        try {
            f.startWriter();
            assertEquals(0, f.drain(java.util.concurrent.TimeUnit.SECONDS.toMillis(30)), "lines not written: "
                    + f.currentProblem());
        } finally {
            BoundedOpen.holdOpensForTests(null);
            BoundedOpen.holdReleasesForTests(null);
            PrivateAppendFile.beforeOpenForTests = null;
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("\"operation\":\"enable\""), lines.get(0));
        assertEquals(null, f.currentProblem());
        assertEquals("", f.notWrittenSoFar());
        assertTrue(interrupts.get() <= 0, "both opens were interrupted");
    }

    /**
     * A line whose write an interrupt cut before any of it reached the file, which was then replaced (a
     * rotation) by one that ends inside a line (a JVM died in its middle): opened again, the line is written
     * as any line there, after a mending line break. Before, its "rest" (all of it) was written as the end
     * of a line begun in the file, glued to the torn line: neither record could be read.
     */
    @Test
    void aLineCutBeforeAnyOfItWasWrittenGoesWholeToAFileThatReplacedItsOwn() throws Exception {
        Path file = dir.resolve("cut-then-replaced.jsonl");
        AuditFile f = AuditFile.unstarted(file, file.toString());
        Instant time = Instant.parse("2026-12-01T13:00:00Z");
        f.enqueue(time, "enable", "p", "ok", "api", "", "", "");
        java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
        PrivateAppendFile.beforeWriteForTests = () -> {
            if (writes.incrementAndGet() == 1) {
                try {
                    Files.move(file, dir.resolve("cut-then-replaced.jsonl.1"));
                    Files.write(file, "{\"torn".getBytes(StandardCharsets.UTF_8));
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                Thread.currentThread().interrupt(); // the write's channel closes before write(2): nothing written
            }
        };
        try {
            f.startWriter();
            assertEquals(0, f.drain(java.util.concurrent.TimeUnit.SECONDS.toMillis(30)), "lines not written: "
                    + f.currentProblem());
        } finally {
            PrivateAppendFile.beforeWriteForTests = null;
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(2, lines.size(), lines.toString());
        assertEquals("{\"torn", lines.get(0));
        assertTrue(lines.get(1).startsWith("{\"time\"") && lines.get(1).contains("\"operation\":\"enable\""),
                lines.get(1));
        assertEquals(0, Files.size(dir.resolve("cut-then-replaced.jsonl.1")), "nothing of it in the old file");
        assertEquals(null, f.currentProblem());
    }

    /**
     * Interrupts faster than a line is written: the write is tried again a bounded number of times, then
     * the line is lost as at any failure (counted, its gap noted before the next line that gets there),
     * not retried for ever.
     */
    @Test
    void aLineWhoseWritesAreInterruptedAgainAndAgainIsLostAsAtAnyFailureNotRetriedForEver() throws Exception {
        Path file = dir.resolve("interrupted-always.jsonl");
        AuditFile f = AuditFile.unstarted(file, file.toString());
        Instant time = Instant.parse("2026-12-01T13:00:00Z");
        java.util.concurrent.atomic.AtomicInteger writes = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean storm = new java.util.concurrent.atomic.AtomicBoolean(true);
        PrivateAppendFile.beforeWriteForTests = () -> {
            writes.incrementAndGet();
            if (storm.get()) {
                Thread.currentThread().interrupt();
            }
        };
        try {
            f.enqueue(time, "enable", "p", "ok", "api", "", "", "");
            f.startWriter();
            assertEquals(0, f.drain(java.util.concurrent.TimeUnit.SECONDS.toMillis(30)));
            assertEquals(1 + AuditFile.INTERRUPTED_WRITE_TRIES, writes.get());
            String problem = f.currentProblem();
            assertTrue(problem != null && problem.contains("interrupted " + AuditFile.INTERRUPTED_WRITE_TRIES
                    + " times in a row"), String.valueOf(problem));
            storm.set(false);
            f.enqueue(time, "disable", "p", "ok", "api", "", "", "");
            assertEquals(0, f.drain(java.util.concurrent.TimeUnit.SECONDS.toMillis(30)));
        } finally {
            PrivateAppendFile.beforeWriteForTests = null;
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(2, lines.size(), lines.toString()); // the gap's line, then the disable
        assertTrue(lines.get(0).contains("1 record"), lines.get(0));
        assertTrue(lines.get(1).contains("\"operation\":\"disable\""), lines.get(1));
        assertEquals(null, f.currentProblem());
    }

    @Test
    void anExitWithNothingQueuedDoesNotWaitForTheWriter() {
        Path file = dir.resolve("idle.jsonl");
        AuditFile f = AuditFile.unstarted(file, file.toString()); // no writer: a wait would last the whole bound
        assertEquals(0, f.drain(java.util.concurrent.TimeUnit.DAYS.toMillis(1)));
        assertEquals("", f.notWrittenSoFar());
    }

    @Test
    void anExitWaitsForTheLinesStillQueuedUntilTheWriterIsDoneWithThem() throws Exception {
        Path file = dir.resolve("drained.jsonl");
        AuditFile f = AuditFile.unstarted(file, file.toString());
        Instant time = Instant.parse("2026-12-01T13:00:00Z");
        f.enqueue(time, "enable", "p", "ok", "api", "", "", ""); // an interrupted caller's: nobody waits for it
        f.enqueue(time, "disable", "p", "ok", "api", "", "", "");
        long[] notWritten = {-1};
        Thread exit = new Thread(() -> notWritten[0] = f.drain(java.util.concurrent.TimeUnit.DAYS.toMillis(1)));
        exit.start();
        while (exit.getState() != Thread.State.TIMED_WAITING && exit.isAlive()) {
            Thread.onSpinWait(); // until the drain waits: the writer starts after, not before
        }
        assertTrue(exit.isAlive(), "the drain returned before the writer ran: " + notWritten[0]);
        f.startWriter();
        exit.join();
        assertEquals(0, notWritten[0]);
        List<String> lines = Files.readAllLines(file);
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(1).contains("\"operation\":\"disable\""), lines.get(1));
    }

    @Test
    void linesTheWriterIsNotDoneWithByTheBoundAreCountedAndLogged() {
        List<LogRecord> logged = new CopyOnWriteArrayList<>();
        Handler handler = collecting(logged);
        Logger logger = Logger.getLogger("io.jlivepatch");
        logger.addHandler(handler);
        try {
            Path file = dir.resolve("stuck.jsonl");
            AuditFile f = AuditFile.unstarted(file, file.toString()); // a writer that never gets to them
            Instant first = Instant.parse("2026-12-01T13:00:00Z");
            f.enqueue(first, "enable", "p", "ok", "api", "", "", "");
            f.enqueue(first.plusSeconds(1), "disable", "p", "ok", "api", "", "", "");
            assertEquals(2, f.drain(0)); // the bound is over at once: no timing decides this
            assertTrue(f.notWrittenSoFar().startsWith("2 records not written to it since it was opened, the last at "
                    + first.plusSeconds(1)), f.notWrittenSoFar());
            assertEquals(List.of("audit file: 2 records were not written to " + file + " before the JVM exited"
                    + " (writing them had not ended within 0 ms); the file lacks 2 records since " + first
                    + ", with no gap line"), messages(logged, Level.WARNING));
        } finally {
            logger.removeHandler(handler);
        }
    }

    /**
     * Lines the writer is done with by the exit's drain because their write failed (the file's directory removed,
     * a full disk: here the exit's own line, made as the exit begins, and one lost before) are said on the exit's
     * standard error, as lines not written in time are: the file never gets the gap line that would note them, no
     * status shows them any more, and the writer's own warning goes through java.util.logging, whose handlers the
     * JVM's exit closes (and is logged once per problem, not per record). Before, the drain said nothing of them.
     */
    @Test
    void atTheExitLinesWhoseWriteFailedAreSaidOnTheExitsLogWithTheGapTheFileLacks() throws Exception {
        assumeTrue(posix());
        Path later = Files.createDirectory(dir.resolve("removed-at-exit"));
        Path file = later.resolve("audit.jsonl");
        AuditFile f = AuditFile.start(file, file.toString()); // an instance of its own (see above)
        f.append("{\"n\":0}\n".getBytes(StandardCharsets.UTF_8));
        Files.delete(file);
        Files.delete(later);
        Instant first = Instant.parse("2026-12-01T13:00:00Z");
        f.awaitWritten(f.enqueue(first, "enable", "p", "ok", "api", "", "", "")); // fails: counted, logged once
        f.enqueue(first.plusSeconds(1), "disable", "p", "cut short: the JVM exited during it (...)", "api", "", "",
                ""); // recordAtExit's: queued, not waited for
        List<String> said = new CopyOnWriteArrayList<>();
        System.Logger exitLog = new System.Logger() {
            @Override
            public String getName() {
                return "io.jlivepatch";
            }

            @Override
            public boolean isLoggable(Level level) {
                return true;
            }

            @Override
            public void log(Level level, java.util.ResourceBundle bundle, String msg, Throwable thrown) {
                said.add(level + " " + msg);
            }

            @Override
            public void log(Level level, java.util.ResourceBundle bundle, String format, Object... params) {
                said.add(level + " " + format);
            }
        };
        // The writer is done with every line (its write failed) within the bound: nothing left waiting.
        assertEquals(0, f.drain(java.util.concurrent.TimeUnit.SECONDS.toMillis(30), exitLog, true));
        assertEquals(List.of("WARNING audit file: " + file + " lacks 2 records since " + first + ", with no gap line:"
                + " they were not written to it (cannot write " + file + ": its directory does not exist), and the JVM"
                + " exits"), said);
        assertTrue(f.notWrittenSoFar().startsWith("2 records not written to it"), f.notWrittenSoFar());
    }

    /**
     * A record made after the exit's drain (another shutdown hook's unload) whose write fails in time is said on
     * standard error too, with what the file lacks, as the drain says such lines: the writer is done with it, so
     * before nothing said it was not written.
     */
    @Test
    void aRecordAfterTheExitsDrainWhoseWriteFailsIsSaidOnStandardError() throws Exception {
        assumeTrue(posix());
        Path later = Files.createDirectory(dir.resolve("removed-after-drain"));
        Path file = later.resolve("audit.jsonl");
        AuditFile f = AuditFile.start(file, file.toString()); // an instance of its own (see above)
        f.append("{\"n\":0}\n".getBytes(StandardCharsets.UTF_8));
        f.afterDrainBoundMs = java.util.concurrent.TimeUnit.SECONDS.toMillis(30); // a hang detector, not a timing
        assertEquals(0, f.drain(0, io.jlivepatch.internal.Log.get(), true)); // nothing queued, nothing lacking
        Files.delete(file);
        Files.delete(later);
        Instant time = Instant.parse("2026-12-01T13:00:00Z");
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream before = System.err;
        System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            f.awaitWritten(f.enqueue(time, "unregister", "p", "ok", "api", "", "", ""));
        } finally {
            System.setErr(before);
        }
        String said = err.toString(StandardCharsets.UTF_8);
        assertTrue(said.contains("WARNING: audit file: " + file + " lacks 1 record since " + time + ", with no gap line:"
                + " it was not written to it (cannot write " + file + ": its directory does not exist), and the JVM"
                + " exits"), said);
    }

    /**
     * Once a wait at the JVM's exit gave up (the drain's, here with its bound over at once), a record
     * made later in the exit (another shutdown hook's) waits no more: it is counted as not written at
     * once, so that N such records take the one bound, not N more. Its own wait is raised to a day: a
     * wait shows as a hang, not as a time.
     */
    @Test
    void afterTheExitsDrainGaveUpALaterRecordIsCountedWithoutWaiting() throws Exception {
        Path file = dir.resolve("gave-up.jsonl");
        AuditFile f = AuditFile.unstarted(file, file.toString()); // a writer that never gets to them
        f.afterDrainBoundMs = java.util.concurrent.TimeUnit.DAYS.toMillis(1);
        Instant time = Instant.parse("2026-12-01T13:00:00Z");
        f.enqueue(time, "enable", "p", "ok", "api", "", "", "");
        assertEquals(1, f.drain(0, io.jlivepatch.internal.Log.get(), true)); // the bound is over at once

        Thread late = new Thread(() -> f.awaitWritten(f.enqueue(time, "disable", "p", "ok", "api", "", "", "")),
                "record-after-drain");
        late.setDaemon(true); // a wait that must not happen lasts a day
        late.start();
        late.join(java.util.concurrent.TimeUnit.SECONDS.toMillis(30)); // a hang detector
        assertFalse(late.isAlive(), "the record made after the drain gave up waits for its line");
        assertTrue(f.notWrittenSoFar().startsWith("2 records not written to it"), f.notWrittenSoFar());
    }

    /**
     * A record made during the drain at the exit, after its target (another shutdown hook's, as the
     * hooks run together), waits for its line as the drain does; when the drain gives up (here: its
     * thread is interrupted) that record's wait ends too, rather than run its own bound after it.
     */
    @Test
    void aRecordWaitingAfterTheExitsDrainStopsWaitingWhenTheDrainGivesUp() throws Exception {
        Path file = dir.resolve("gives-up-meanwhile.jsonl");
        AuditFile f = AuditFile.unstarted(file, file.toString()); // a writer that never gets to them
        f.afterDrainBoundMs = java.util.concurrent.TimeUnit.DAYS.toMillis(1);
        Instant time = Instant.parse("2026-12-01T13:00:00Z");
        f.enqueue(time, "enable", "p", "ok", "api", "", "", "");
        long[] notWritten = {-1};
        Thread exit = new Thread(() -> notWritten[0] = f.drain(java.util.concurrent.TimeUnit.DAYS.toMillis(1),
                io.jlivepatch.internal.Log.get(), true), "drain-at-exit");
        exit.setDaemon(true);
        exit.start();
        awaitTimedWaiting(exit); // the drain's target is set: the next line is after it
        Thread late = new Thread(() -> f.awaitWritten(f.enqueue(time, "disable", "p", "ok", "api", "", "", "")),
                "record-after-drain");
        late.setDaemon(true); // a wait that must not happen lasts a day
        late.start();
        awaitTimedWaiting(late);

        exit.interrupt(); // the drain gives up: the exit goes on
        exit.join(java.util.concurrent.TimeUnit.SECONDS.toMillis(30)); // hang detectors, both
        assertEquals(1, notWritten[0]);
        late.join(java.util.concurrent.TimeUnit.SECONDS.toMillis(30));
        assertFalse(late.isAlive(), "the record made during the drain waits on after the drain gave up");
        assertTrue(f.notWrittenSoFar().startsWith("2 records not written to it"), f.notWrittenSoFar());
    }

    /**
     * A record whose line was queued before the drain at the JVM's exit, waiting for it when the drain
     * gives up (here: its bound is over at once; at an exit, interrupted or finding the writer stuck):
     * the drain counted that line as not written and said so, yet the record waited on for its own
     * bound, past the exit's. Its wait is raised to a day: a wait shows as a hang, not as a time.
     */
    @Test
    void aRecordWaitingForItsLineStopsWaitingWhenTheExitsDrainGivesUp() throws Exception {
        Path file = dir.resolve("waiting-at-drain.jsonl");
        AuditFile f = AuditFile.unstarted(file, file.toString()); // a writer that never gets to it
        f.waitForWriteMs = java.util.concurrent.TimeUnit.DAYS.toMillis(1);
        Instant time = Instant.parse("2026-12-01T13:00:00Z");
        Thread waiting = new Thread(() -> f.awaitWritten(f.enqueue(time, "enable", "p", "ok", "api", "", "", "")),
                "record-before-drain");
        waiting.setDaemon(true); // a wait that must not happen lasts a day
        waiting.start();
        awaitTimedWaiting(waiting); // its line is queued: the drain's target includes it

        assertEquals(1, f.drain(0, io.jlivepatch.internal.Log.get(), true)); // the bound is over at once
        waiting.join(java.util.concurrent.TimeUnit.SECONDS.toMillis(30)); // a hang detector
        assertFalse(waiting.isAlive(), "the record waits on for its line after the exit's drain gave up on it");
        assertTrue(f.notWrittenSoFar().startsWith("1 record not written to it"), f.notWrittenSoFar());
        assertEquals(null, f.currentProblem(), "the record's own bound ran out: " + f.currentProblem());
    }

    /**
     * A record whose line was queued before the drain at the JVM's exit but whose caller comes to wait
     * for it only after the drain gave up (its thread was held between the two): it waited its whole
     * bound, up to a second past the exit's. It waits no more, its line counted once, by the drain.
     */
    @Test
    void aRecordThatComesToWaitAfterTheExitsDrainGaveUpOnItsLineDoesNotWait() throws Exception {
        Path file = dir.resolve("late-waiter.jsonl");
        AuditFile f = AuditFile.unstarted(file, file.toString()); // a writer that never gets to it
        f.waitForWriteMs = java.util.concurrent.TimeUnit.DAYS.toMillis(1);
        Instant time = Instant.parse("2026-12-01T13:00:00Z");
        long line = f.enqueue(time, "enable", "p", "ok", "api", "", "", ""); // its caller not waiting yet
        assertEquals(1, f.drain(0, io.jlivepatch.internal.Log.get(), true)); // the bound is over at once

        Thread late = new Thread(() -> f.awaitWritten(line), "record-queued-before-drain");
        late.setDaemon(true); // a wait that must not happen lasts a day
        late.start();
        late.join(java.util.concurrent.TimeUnit.SECONDS.toMillis(30)); // a hang detector
        assertFalse(late.isAlive(), "the record waits for a line the exit's drain gave up on");
        assertTrue(f.notWrittenSoFar().startsWith("1 record not written to it"), f.notWrittenSoFar());
        assertEquals(null, f.currentProblem(), "the record's own bound ran out: " + f.currentProblem());
    }

    /**
     * What the JVM's exit cut short is recorded just before the drain (PatchRegistry.recordUnfinishedAtExit):
     * its line is queued, not waited for, so that the drain's one bound covers it, rather than a record's
     * own second before it. Its wait is raised to a day: a wait shows as a hang, not as a time.
     */
    @Test
    void aRecordOfWhatTheExitCutShortIsQueuedForTheDrainNotWaitedFor() throws Exception {
        Path file = dir.resolve("cut-short.jsonl");
        AuditFile f = AuditFile.unstarted(file, file.toString()); // a writer that never gets to it
        f.waitForWriteMs = java.util.concurrent.TimeUnit.DAYS.toMillis(1);
        AuditFile before = AuditLog.file;
        AuditLog.file = f;
        try {
            Thread exit = new Thread(() -> new AuditLog().recordAtExit("enable", "p",
                    "cut short: the JVM exited during it (it had not taken effect)", "api", null), "exit");
            exit.setDaemon(true); // a wait that must not happen lasts a day
            exit.start();
            exit.join(java.util.concurrent.TimeUnit.SECONDS.toMillis(30)); // a hang detector
            assertFalse(exit.isAlive(), "the exit's record waits for its line");
        } finally {
            AuditLog.file = before;
        }
        assertEquals(1, f.drain(0, io.jlivepatch.internal.Log.get(), true)); // queued: the drain's to wait for
    }

    /** Until {@code t} waits with a bound (the only such wait on its path), or has ended: then fails. */
    private static void awaitTimedWaiting(Thread t) {
        while (t.getState() != Thread.State.TIMED_WAITING && t.isAlive()) {
            Thread.onSpinWait();
        }
        assertTrue(t.isAlive(), "'" + t.getName() + "' ended without waiting");
    }

    private static Handler collecting(List<LogRecord> into) {
        return new Handler() {
            @Override
            public void publish(LogRecord r) {
                into.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
    }

    private static List<String> messages(List<LogRecord> records, Level level) {
        List<String> out = new ArrayList<>();
        for (LogRecord r : records) {
            if (r.getLevel().equals(level) && r.getMessage().startsWith("audit file: ")) {
                out.add(r.getMessage());
            }
        }
        return out;
    }

    private static boolean posix() {
        return java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("unix");
    }
}
