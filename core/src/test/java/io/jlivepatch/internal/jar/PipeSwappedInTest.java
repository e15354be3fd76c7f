package io.jlivepatch.internal.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.Fifos;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A patch JAR replaced by a named pipe between its checks and its open (a rename over it by whoever
 * can write its directory): the open of a pipe waits for a writer, its read for data, either possibly
 * for ever, in premain, on the watch thread or on a command's thread. The read is refused instead,
 * and the next one works. The 30 s bounds are hang detectors, not timings: each read here either
 * returns at once or never.
 */
class PipeSwappedInTest {

    private static final Duration HANG = Fifos.HANG;

    @TempDir
    Path dir;

    private Path jar;
    private Path fifo;
    /** A writer held on the pipe by a test, closed after it. */
    private FileChannel writer;

    @BeforeEach
    void aJarAndAPipeBesideIt() throws Exception {
        jar = Files.write(dir.resolve("fix.jar"), "not looked into by the read".getBytes());
        fifo = Fifos.make(dir.resolve(".fifo"));
        // Short, so that the test does not wait the default: an open of this pipe never returns by
        // itself, so whatever the wait, the outcome is the same.
        PatchJarBytes.openWaitForTests(Duration.ofMillis(200));
    }

    @AfterEach
    void cleanUp() throws IOException {
        PatchJarBytes.beforeOpenForTests(null);
        PatchJarBytes.openWaitForTests(null);
        if (writer != null) {
            writer.close();
        }
    }

    /** Puts the pipe in the JAR's place, as {@code mv} does: after the checks, before the open. */
    private void swapInThePipe(Path path) {
        try {
            Files.move(fifo, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aPipeWithNoWriterIsRefusedAndItsOpenReleased() throws Exception {
        PatchJarBytes.beforeOpenForTests(this::swapInThePipe);
        PatchException e = assertTimeoutPreemptively(HANG,
                () -> assertThrows(PatchException.class, () -> PatchJarBytes.read(jar, JarLimits.current())));
        assertEquals(PatchException.Reason.INVALID_PATCH, e.reason());
        assertTrue(e.getMessage().startsWith("patch JAR " + jar + ": could not be opened within 200 ms, though it"
                + " was a regular file when checked: something else is there now"), e.getMessage());
        assertTrue(e.getMessage().endsWith("nothing was read: put a patch JAR (a regular file) there and load it"
                + " again"), e.getMessage());
        // The open that waited was released (the pipe opened read-write stands in for its writer): its
        // thread ends, and holds nothing for the JVM's life.
        Fifos.awaitNoOpener();
        stillReadsAJar();
    }

    @Test
    void aPipeWithAWriterIsRefusedUnread() throws Exception {
        PatchJarBytes.beforeOpenForTests(path -> {
            swapInThePipe(path);
            try {
                // Read-write: never waits on Linux, and stands for a writer that never writes, so that
                // the open below returns at once and a read of it would wait for ever.
                writer = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        PatchException e = assertTimeoutPreemptively(HANG,
                () -> assertThrows(PatchException.class, () -> PatchJarBytes.read(jar, JarLimits.current())));
        assertEquals(PatchException.Reason.INVALID_PATCH, e.reason());
        assertEquals("patch JAR " + jar + ": was replaced after it was checked: what was opened is empty or not a"
                + " regular file (a pipe or a device put in its place, or the file emptied); it is not read; put a"
                + " patch JAR (a regular file) there and load it again", e.getMessage());
        stillReadsAJar();
    }

    @Test
    void anInterruptedCallerStopsWaitingAndKeepsItsInterrupt() throws Exception {
        PatchJarBytes.openWaitForTests(Duration.ofSeconds(600)); // longer than the hang detector: only the interrupt ends it
        PatchJarBytes.beforeOpenForTests(this::swapInThePipe);
        PatchException e = assertTimeoutPreemptively(HANG, () -> {
            Thread.currentThread().interrupt();
            try {
                return assertThrows(PatchException.class, () -> PatchJarBytes.read(jar, JarLimits.current()));
            } finally {
                assertTrue(Thread.interrupted(), "the caller's interrupt stands"); // and is cleared for the pool
            }
        });
        assertEquals(PatchException.Reason.BUSY, e.reason()); // the interrupt's doing, not the JAR's (InterruptedLoadTest)
        assertTrue(e.getMessage().startsWith("patch JAR " + jar + ": not read: the calling thread was interrupted"),
                e.getMessage());
        Fifos.awaitNoOpener();
        stillReadsAJar();
    }

    @Test
    void anOpenNothingCanReleaseKeepsItsPathFromBeingOpenedAgainUntilItReturns() throws Exception {
        // A link to the pipe renamed over the JAR: the read's open follows it and waits for a writer; the
        // release opens only a pipe at the path itself, never what a link leads to (it may be a device).
        Path link = dir.resolve(".link");
        Files.createSymbolicLink(link, fifo);
        PatchJarBytes.beforeOpenForTests(path -> {
            try {
                Files.move(link, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try {
            PatchException first = assertTimeoutPreemptively(HANG,
                    () -> assertThrows(PatchException.class, () -> PatchJarBytes.read(jar, JarLimits.current())));
            assertTrue(first.getMessage().startsWith("patch JAR " + jar + ": could not be opened within 200 ms"),
                    first.getMessage());
            assertEquals(1, Fifos.openers(jar), "its open stays blocked");

            // A JAR there again, which passes the checks: not opened while the earlier open blocks, so that
            // each attempt does not leave one more thread blocked.
            PatchJarBytes.beforeOpenForTests(null);
            Files.delete(jar);
            Files.write(jar, "a patch JAR's bytes".getBytes());
            PatchException again = assertTimeoutPreemptively(HANG,
                    () -> assertThrows(PatchException.class, () -> PatchJarBytes.read(jar, JarLimits.current())));
            assertEquals(PatchException.Reason.INVALID_PATCH, again.reason());
            assertTrue(again.getMessage().startsWith("patch JAR " + jar + ": is not opened: an open of it begun "),
                    again.getMessage());
            assertTrue(again.getMessage().endsWith(" ago has not returned: what it opened blocks (a pipe moved away or"
                    + " removed since, or one reached through a symbolic link: nothing can release it), and its thread"
                    + " (jlivepatch-open) with it; it is not opened again until that open returns, so that each attempt"
                    + " does not leave one more thread blocked: open that pipe from its other end, or restart the JVM"),
                    again.getMessage());
            assertEquals(1, Fifos.openers(jar), "no thread more");
        } finally {
            Fifos.release(fifo); // its other end: the blocked open returns, and its thread ends
        }
        stillReadsAJar();
    }

    /** The read after a refused one works: nothing was left behind. */
    private void stillReadsAJar() throws Exception {
        PatchJarBytes.beforeOpenForTests(null);
        Files.deleteIfExists(jar);
        byte[] content = "a patch JAR's bytes".getBytes();
        Files.write(jar, content);
        assertArrayEquals(content, assertTimeoutPreemptively(HANG,
                () -> PatchJarBytes.read(jar, JarLimits.current())).bytes());
    }
}
