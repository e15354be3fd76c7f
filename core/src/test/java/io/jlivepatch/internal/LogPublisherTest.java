package io.jlivepatch.internal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Log lines published aside ({@link Log#beginAside()}): every one out, in order, when the window
 * closes, each record as the direct call would have made it; other back-ends left alone.
 */
class LogPublisherTest {

    /** Collects what jlivepatch's java.util.logging logger publishes, with the publishing thread. */
    private static final class Collecting extends Handler {
        final List<LogRecord> records = new ArrayList<>();
        final List<Thread> publishers = new ArrayList<>();

        @Override
        public synchronized void publish(LogRecord r) {
            r.getSourceClassName(); // inferred now, on the publishing thread, as a formatter does
            records.add(r);
            publishers.add(Thread.currentThread());
        }

        synchronized List<LogRecord> records() {
            return new ArrayList<>(records);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    private final Logger jul = Logger.getLogger("io.jlivepatch");
    private final Collecting handler = new Collecting();
    private Level levelBefore;
    private boolean parentsBefore;

    @BeforeEach
    void collect() {
        levelBefore = jul.getLevel();
        parentsBefore = jul.getUseParentHandlers();
        jul.setLevel(Level.ALL);
        jul.setUseParentHandlers(false); // the test's lines stay out of the console
        jul.addHandler(handler);
    }

    @AfterEach
    void stopCollecting() {
        Log.endAside(); // a failed test leaves no window open
        jul.removeHandler(handler);
        jul.setUseParentHandlers(parentsBefore);
        jul.setLevel(levelBefore);
    }

    private static void logDirectly(String message) {
        Log.get().log(System.Logger.Level.WARNING, message);
    }

    @Test
    void aRecordPublishedAsideIsTheOneADirectCallMakes() {
        logDirectly("direct");
        Log.beginAside();
        logDirectly("aside");
        Log.endAside();

        List<LogRecord> records = handler.records();
        assertEquals(2, records.size(), "both published once the window is closed");
        LogRecord direct = records.get(0);
        LogRecord aside = records.get(1);
        assertEquals("direct", direct.getMessage());
        assertEquals("aside", aside.getMessage());
        assertEquals(direct.getLevel(), aside.getLevel());
        assertEquals(Level.WARNING, aside.getLevel());
        assertEquals(direct.getLoggerName(), aside.getLoggerName());
        assertEquals(direct.getSourceClassName(), aside.getSourceClassName());
        assertEquals(LogPublisherTest.class.getName(), aside.getSourceClassName());
        assertEquals("logDirectly", aside.getSourceMethodName());
        assertEquals(direct.getSourceMethodName(), aside.getSourceMethodName());
        assertEquals(direct.getLongThreadID(), aside.getLongThreadID(), "the caller's thread, not the publisher's");
        assertTrue(aside.getSequenceNumber() > direct.getSequenceNumber());
        assertNotEquals(Thread.currentThread(), handler.publishers.get(1), "published by the publisher thread");
    }

    @Test
    void everyLineOfEveryThreadIsOutInOrderWhenTheWindowCloses() throws Exception {
        Log.beginAside();
        Thread other = new Thread(() -> {
            for (int i = 0; i < 50; i++) {
                Log.get().log(System.Logger.Level.INFO, "other {0}", i);
            }
        });
        other.start();
        for (int i = 0; i < 200; i++) {
            Log.get().log(System.Logger.Level.INFO, "line {0}", i);
        }
        other.join();
        Log.endAside();
        int published = handler.records().size();

        List<String> mine = new ArrayList<>();
        List<String> theirs = new ArrayList<>();
        for (LogRecord r : handler.records()) {
            (r.getMessage().startsWith("line ") ? mine : theirs).add(r.getMessage());
        }
        assertEquals(250, published, "every line is published before endAside returns");
        for (int i = 0; i < 200; i++) {
            assertEquals("line " + i, mine.get(i));
        }
        for (int i = 0; i < 50; i++) {
            assertEquals("other " + i, theirs.get(i));
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            assertFalse(t.getName().equals("jlivepatch-log") && t.isAlive(), "the publisher thread has ended");
        }

        Log.get().log(System.Logger.Level.INFO, "after");
        List<LogRecord> records = handler.records();
        assertEquals("after", records.get(records.size() - 1).getMessage());
        assertEquals(Thread.currentThread(), handler.publishers.get(records.size() - 1), "published directly again");
    }

    @Test
    void aLineBelowTheLevelIsNotPublishedAsideEither() {
        jul.setLevel(Level.WARNING);
        Log.beginAside();
        Log.get().log(System.Logger.Level.INFO, "dropped");
        Log.get().log(System.Logger.Level.ERROR, "kept");
        Log.endAside();
        List<LogRecord> records = handler.records();
        assertEquals(1, records.size(), records.toString());
        assertEquals(Level.SEVERE, records.get(0).getLevel());
    }

    @Test
    void anotherBackEndIsPublishedToDirectly() {
        List<String> seen = new ArrayList<>();
        CleanLogger other = new CleanLogger(new System.Logger() {
            @Override
            public String getName() {
                return "io.jlivepatch";
            }

            @Override
            public boolean isLoggable(Level level) {
                return true;
            }

            @Override
            public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
                seen.add(msg);
            }

            @Override
            public void log(Level level, ResourceBundle bundle, String format, Object... params) {
                seen.add(format);
            }
        });
        assertFalse(LogPublisher.open(other), "no window for a back-end other than java.util.logging");
        other.log(System.Logger.Level.INFO, "at once");
        assertEquals(List.of("at once"), seen);
        Log.beginAside(); // the real logger's window: lines of another CleanLogger do not go in it
        other.log(System.Logger.Level.INFO, "still at once");
        assertEquals(List.of("at once", "still at once"), seen);
        Log.endAside();
    }
}
