package io.jlivepatch.internal.watch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;
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

    /**
     * A watch service whose wait throws while {@code failing} is above zero (counting down), as the
     * JDK's does with a patch of {@code AbstractWatchService.poll} that throws on jlivepatch's threads
     * (the watch thread waits unmarked: README Known limits); else the file system's own.
     */
    private static final class ThrowingWait implements PatchDirectoryWatch.Events.Registrar {
        final AtomicInteger failing;
        final AtomicInteger polls = new AtomicInteger();
        WatchService inner;

        ThrowingWait(int failing) {
            this.failing = new AtomicInteger(failing);
        }

        @Override
        public WatchKey register(Path d, WatchService service) throws IOException {
            return FILE_SYSTEM.register(d, inner); // keys of the file system's service, which the wrapper polls
        }

        @Override
        public WatchService newService(Path d) throws IOException {
            inner = d.getFileSystem().newWatchService();
            return new WatchService() {
                @Override
                public void close() throws IOException {
                    inner.close();
                }

                @Override
                public WatchKey poll() {
                    return inner.poll();
                }

                @Override
                public WatchKey poll(long timeout, TimeUnit unit) throws InterruptedException {
                    polls.incrementAndGet();
                    if (failing.getAndDecrement() > 0) {
                        throw new IllegalStateException("tripwire.hit.AbstractWatchService.poll");
                    }
                    return inner.poll(timeout, unit);
                }

                @Override
                public WatchKey take() throws InterruptedException {
                    return inner.take();
                }
            };
        }
    }

    @Test
    void aWaitForEventsThatThrowsIsGivenUpUntilTheRetryDelayNotTriedAgainAtOnce() throws Exception {
        ThrowingWait throwing = new ThrowingWait(Integer.MAX_VALUE);
        events = new PatchDirectoryWatch.Events(dir, throwing, 3_600_000);
        assertFalse(events.await(10_000, () -> false), "registered: what changed before is read at once");
        // Before, the wait's exception left await at once, and the watch thread retried at once.
        assertTrue(events.await(3 * PatchDirectoryWatch.WAKE_SLICE_MILLIS, () -> false),
                "the time ran out: the interval reads the directory");
        assertEquals(1, throwing.polls.get(), "not every slice: the wait waits for the retry delay");
    }

    @Test
    void aWaitForEventsThatThrewIsTriedAgainAfterTheRetryDelayAndSeesChangesAgain() throws Exception {
        ThrowingWait throwing = new ThrowingWait(1);
        events = new PatchDirectoryWatch.Events(dir, throwing, 0);
        assertFalse(events.await(10_000, () -> false), "registered");
        assertTrue(events.await(PatchDirectoryWatch.WAKE_SLICE_MILLIS, () -> false), "the failed wait: no change seen");
        Files.createFile(dir.resolve("fix.jar"));
        assertFalse(events.await(60_000, () -> false), "the file's event is seen once the wait works again");
        assertTrue(throwing.polls.get() >= 2);
    }
}
