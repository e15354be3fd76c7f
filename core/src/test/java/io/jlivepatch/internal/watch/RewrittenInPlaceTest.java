package io.jlivepatch.internal.watch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import static io.jlivepatch.internal.watch.WatchFixture.greet;
import static io.jlivepatch.internal.watch.WatchFixture.jar;
import static io.jlivepatch.internal.watch.WatchFixture.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A patch JAR rewritten in place (same file) with a new version of the same size whose modification
 * time is set back to the old one ({@code cp -p}, {@code install -p}, {@code rsync --inplace -t}, or
 * two writes within one tick of a coarse clock): its size, time and file key say nothing changed,
 * yet the new version is what the watch applies, by the file's change time where the file system
 * has one, and by the interval's reading, which reads every file, where it has none.
 */
class RewrittenInPlaceTest {

    @TempDir
    Path dir;

    private Path file;
    private FileTime mtime;
    private byte[] versionA;
    private byte[] versionB;
    private PatchDirectoryWatch watch;

    /** Two versions of patch {@code fix} of one size, the first in {@code 10-fix.jar} with a time a minute ago. */
    @BeforeEach
    void twoVersionsOfOneSize() throws Exception {
        Path staging = Files.createDirectory(dir.resolve(".staging"));
        byte[] a = Files.readAllBytes(jar(staging, "a.jar", "fix", "A"));
        byte[] b = Files.readAllBytes(jar(staging, "b.jar", "fix", "B"));
        int size = Math.max(a.length, b.length);
        versionA = padTo(a, size);
        versionB = padTo(b, size);
        file = Files.write(dir.resolve("10-fix.jar"), versionA);
        mtime = FileTime.from(Instant.now().minusSeconds(60));
        Files.setLastModifiedTime(file, mtime);
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (watch != null) {
            watch.stop();
        }
        WatchFixture.removeAll();
    }

    /** {@code b} with a zip comment that makes it {@code size} bytes long (the end record is its last 22 bytes). */
    private static byte[] padTo(byte[] b, int size) {
        int pad = size - b.length;
        byte[] out = Arrays.copyOf(b, size);
        out[b.length - 2] = (byte) pad;
        out[b.length - 1] = (byte) (pad >> 8);
        return out;
    }

    /** Writes version B over A in the same file and sets its modification time back, as cp -p does. */
    private void rewriteInPlace() throws Exception {
        Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        Files.write(file, versionB, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        Files.setLastModifiedTime(file, mtime);
        BasicFileAttributes now = Files.readAttributes(file, BasicFileAttributes.class);
        assertEquals(key, now.fileKey(), "the same file");
        assertEquals(mtime, now.lastModifiedTime());
        assertEquals(versionA.length, now.size());
    }

    private WatchOptions options(Duration interval) {
        return new WatchOptions(dir, interval, Duration.ofSeconds(30));
    }

    @Test
    void theChangeTimeTellsTheRewriteAndTheNextReconcileAppliesIt() throws Exception {
        assumeTrue(Files.getFileStore(dir).supportsFileAttributeView("unix"), "a file system with change times");
        watch = new PatchDirectoryWatch(WatchFixture.registry(), options(Duration.ofHours(1)));
        watch.reconcile();
        assertEquals(List.of("fix"), stack());
        assertEquals("A x", greet());

        FileTime changed = (FileTime) Files.getAttribute(file, "unix:ctime");
        do {
            // A kernel's change time moves by its clock's tick: rewritten until it has moved, so that
            // what the test shows does not depend on how long the reconcile above took.
            rewriteInPlace();
        } while (changed.equals(Files.getAttribute(file, "unix:ctime")));
        watch.reconcile(); // what a file event runs: remembered digests are used where the state matches
        assertEquals(List.of("fix"), stack());
        assertEquals("B x", greet(), watch.status().state());
        assertEquals("converged", watch.status().state());
    }

    @Test
    void withoutChangeTimesTheIntervalsReconcileReadsTheFileAgain() throws Exception {
        watch = new PatchDirectoryWatch(WatchFixture.registry(), options(Duration.ofHours(1)),
                new WatchedDirectory(dir, System::currentTimeMillis, () -> { }, false));
        watch.reconcile();
        assertEquals("A x", greet());

        rewriteInPlace();
        watch.reconcile();
        assertEquals("A x", greet(), "a file event's reconcile trusts the file's unchanged state");
        watch.reconcile(true);
        assertEquals(List.of("fix"), stack());
        assertEquals("B x", greet(), watch.status().state());
        assertEquals("converged", watch.status().state());
    }

    @Test
    void theWatchThreadsIntervalIsWhatReadsEveryFileAgain() throws Exception {
        watch = new PatchDirectoryWatch(WatchFixture.registry(), options(Duration.ofSeconds(1)),
                new WatchedDirectory(dir, System::currentTimeMillis, () -> { }, false));
        watch.reconcile();
        assertEquals("A x", greet());
        watch.startThread();

        rewriteInPlace(); // its file event's reconcile keeps A (above); the next interval's reads B
        for (int i = 0; i < 6000 && !("B x".equals(greet()) && watch.status().state().equals("converged")); i++) {
            Thread.sleep(10); // up to a minute: a slow machine delays the interval, the outcome is the same
        }
        assertEquals("B x", greet(), watch.status().state());
        assertEquals("converged", watch.status().state());
        assertEquals(List.of("fix"), stack());
    }
}
