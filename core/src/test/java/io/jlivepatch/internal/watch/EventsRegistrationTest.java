package io.jlivepatch.internal.watch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The watch's file events when the system refuses them for a while (inotify's limits reached, a
 * directory that cannot be read): the interval goes on reading the directory, and the events are
 * asked for again later, or at once for a directory put in the place of the refused one; only a
 * file system without watch services at all is given up for good. No timing decides: a retry delay
 * of an hour is never reached, one of zero is always.
 */
class EventsRegistrationTest {

    @TempDir
    Path dir;

    private PatchDirectoryWatch.Events events;

    @AfterEach
    void close() {
        if (events != null) {
            events.close();
        }
    }

    /** Refuses while {@code refusing} is above zero (counting down), then registers as the file system does. */
    private static final class Flaky implements PatchDirectoryWatch.Events.Registrar {
        final AtomicInteger refusing;
        final AtomicInteger calls = new AtomicInteger();
        final RuntimeException unsupported;

        Flaky(int refusing, RuntimeException unsupported) {
            this.refusing = new AtomicInteger(refusing);
            this.unsupported = unsupported;
        }

        @Override
        public WatchKey register(Path d, WatchService service) throws IOException {
            calls.incrementAndGet();
            if (unsupported != null) {
                throw unsupported;
            }
            if (refusing.getAndDecrement() > 0) {
                throw new IOException("User limit of inotify watches reached");
            }
            return FILE_SYSTEM.register(d, service);
        }
    }

    @Test
    void aRefusedRegistrationIsTriedAgainAfterTheRetryDelayNotGivenUpForGood() {
        Flaky flaky = new Flaky(1, null);
        events = new PatchDirectoryWatch.Events(dir, flaky, 0);
        assertFalse(events.register(), "refused");
        assertTrue(events.register(), "the next look tries again once the delay (here none) has passed");
        assertEquals(2, flaky.calls.get());
        assertFalse(events.register(), "registered: nothing more to do");
        assertEquals(2, flaky.calls.get());
    }

    @Test
    void theSameDirectoryIsNotTriedAgainBeforeTheDelayButOneReplacingItIsAtOnce() throws IOException {
        Flaky flaky = new Flaky(1, null);
        events = new PatchDirectoryWatch.Events(dir, flaky, 3_600_000);
        assertFalse(events.register());
        assertFalse(events.register(), "not every slice: the same directory waits for the delay");
        assertEquals(1, flaky.calls.get());

        // Another directory at the path, made while the first exists so that its file key differs
        // (one made after the delete may get the same inode back).
        Path other = Files.createDirectory(dir.resolveSibling(dir.getFileName() + "-next"));
        Files.delete(dir);
        Files.move(other, dir);
        assertTrue(events.register(), "a directory put in its place is registered at once");
        assertEquals(2, flaky.calls.get());
    }

    @Test
    void aFileSystemWithoutWatchServicesIsGivenUpForGood() {
        Flaky flaky = new Flaky(0, new UnsupportedOperationException("no watch service"));
        events = new PatchDirectoryWatch.Events(dir, flaky, 0);
        assertFalse(events.register());
        assertFalse(events.register());
        assertEquals(1, flaky.calls.get());
    }
}
