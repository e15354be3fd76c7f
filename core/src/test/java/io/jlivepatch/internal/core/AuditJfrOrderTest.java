package io.jlivepatch.internal.core;

import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JFR events of two records made by two threads come in the audit log's order (by their start times,
 * as a reader of the recording orders them), not in the order their threads got to their events: the
 * first thread's event was committed after its record had left the log's lock (and waited for the audit
 * file's line), so a second thread's record, made after it, could have its event first. Deterministic:
 * the first thread is held right after its record has left the log's lock until the second one's record
 * (and its event) is made.
 */
class AuditJfrOrderTest {

    @TempDir
    Path dir;

    @AfterEach
    void noHold() {
        AuditLog.afterPlaceForTests = null;
    }

    @Test
    void twoRecordsOfTwoThreadsAreJfrEventsInTheLogsOrder() throws Exception {
        AuditLog log = new AuditLog();
        CountDownLatch placed = new CountDownLatch(1);
        CountDownLatch secondDone = new CountDownLatch(1);
        try (Recording recording = new Recording()) {
            recording.enable("io.jlivepatch.PatchOperation");
            recording.start();
            Thread first = new Thread(() -> log.record("enable", "jfr-order-first", "ok", "api", null), "first");
            AuditLog.afterPlaceForTests = () -> {
                if (Thread.currentThread() == first) {
                    placed.countDown();
                    try {
                        // a hang detector: the second record comes at once
                        assertTrue(secondDone.await(20, TimeUnit.SECONDS), "the second record was not made");
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            };
            first.start();
            assertTrue(placed.await(20, TimeUnit.SECONDS), "the first record was not made"); // a hang detector
            log.record("disable", "jfr-order-second", "ok", "api", null);
            secondDone.countDown();
            first.join(TimeUnit.SECONDS.toMillis(20));
            recording.stop();
            Path file = dir.resolve("order.jfr");
            recording.dump(file);
            List<String> logged = log.entries().stream().map(AuditLog.Entry::patch).toList();
            assertEquals(List.of("jfr-order-first", "jfr-order-second"), logged);
            List<String> events = RecordingFile.readAllEvents(file).stream()
                    .filter(e -> e.getString("patch").startsWith("jfr-order-"))
                    .sorted(Comparator.comparing(RecordedEvent::getStartTime))
                    .map(e -> e.getString("patch")).toList();
            assertEquals(logged, events, "the events by their times, as the log");
        }
    }
}
