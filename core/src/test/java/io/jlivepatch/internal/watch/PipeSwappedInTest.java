package io.jlivepatch.internal.watch;

import io.jlivepatch.internal.Fifos;
import io.jlivepatch.internal.jar.PatchJarBytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jlivepatch.internal.watch.WatchFixture.greet;
import static io.jlivepatch.internal.watch.WatchFixture.jar;
import static io.jlivepatch.internal.watch.WatchFixture.stack;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A new version of a watched patch JAR replaced by a named pipe just before the reconcile reads it
 * again to load it, after it took the old version down: the reconcile fails within the open's wait and
 * puts the old version back, where the open of the pipe held the watch thread for good, with the
 * application unpatched. The 30 s bound is a hang detector: the reconcile either ends at once or never.
 */
class PipeSwappedInTest {

    private static final Duration HANG = Fifos.HANG;

    @TempDir
    Path dir;

    private Path fifo;
    private PatchDirectoryWatch watch;

    @BeforeEach
    void aPipe() throws Exception {
        fifo = Fifos.make(dir.resolve(".fifo")); // a dot-file: never read by the watch
        PatchJarBytes.openWaitForTests(Duration.ofMillis(200)); // the pipe's open never returns by itself
    }

    @AfterEach
    void cleanUp() throws Exception {
        PatchJarBytes.beforeOpenForTests(null);
        PatchJarBytes.openWaitForTests(null);
        if (watch != null) {
            watch.stop();
        }
        WatchFixture.removeAll();
    }

    @Test
    void theReconcileFailsAndPutsTheOldVersionBack() throws Exception {
        jar(dir, "10-fix.jar", "fix", "A");
        watch = WatchFixture.watch(dir);
        watch.reconcile();
        assertEquals(List.of("fix"), stack());
        assertEquals("A x", greet());

        Path staging = Files.createDirectory(dir.resolve(".staging"));
        Path b = jar(staging, "b.jar", "fix", "B");
        Files.copy(b, dir.resolve("10-fix.jar"), StandardCopyOption.REPLACE_EXISTING);
        AtomicInteger reads = new AtomicInteger();
        PatchJarBytes.beforeOpenForTests(path -> {
            // The first read is the directory's; the second, the load's, after 'fix' A came off.
            if (path.getFileName().toString().equals("10-fix.jar") && reads.incrementAndGet() == 2) {
                try {
                    Files.move(fifo, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        });
        assertTimeoutPreemptively(HANG, () -> watch.reconcile());
        assertEquals(2, reads.get());
        assertEquals(List.of("fix"), stack());
        assertEquals("A x", greet(), "the old version is back");
        String state = watch.status().state();
        assertTrue(state.startsWith("failed: ") && state.contains("10-fix.jar") && state.contains("cannot be read"
                + " again (patch JAR " + dir.resolve("10-fix.jar") + ": could not be opened within 200 ms, though it"
                + " was a regular file when checked") && state.contains("'fix' is back"), state);

        // The watch goes on: the next version put there is applied.
        PatchJarBytes.beforeOpenForTests(null);
        Files.copy(b, dir.resolve("10-fix.jar"), StandardCopyOption.REPLACE_EXISTING);
        assertTimeoutPreemptively(HANG, () -> watch.reconcile());
        assertEquals("converged", watch.status().state());
        assertEquals("B x", greet());
    }
}
