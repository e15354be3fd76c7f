package io.jlivepatch.internal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * jlivepatch's log lines, published from a thread of their own: each out before its call returns,
 * in a window ({@link Log#beginAside()}) every one out, in order, when the window closes, each
 * record as the direct call would have made it; an output that takes no lines holds no caller, and
 * its lines come out in order once it takes them again; other back-ends left alone.
 */
class LogPublisherTest {

    /** Collects what jlivepatch's java.util.logging logger publishes, with the publishing thread. */
    private static final class Collecting extends Handler {
        final List<LogRecord> records = new ArrayList<>();
        final List<Thread> publishers = new ArrayList<>();

        @Override
        public synchronized void publish(LogRecord r) {
            // The suite runs its classes in one JVM: a thread of jlivepatch's left by an earlier class (the
            // link audit's 'applying patch' lines, the in-flight follow-up, a relink) may log meanwhile, and
            // its line is not this test's, whose counts are exact. Told by the record's source, the caller's
            // class as the call took it: this test's lines are its own, the dropped report the publisher's.
            String source = r.getSourceClassName();
            if (source != null && source.startsWith("io.jlivepatch.")
                    && !source.startsWith(LogPublisherTest.class.getName()) && !source.equals(LogPublisher.class.getName())) {
                return;
            }
            r.getSourceClassName(); // inferred now, on the publishing thread, as a formatter does
            records.add(r);
            publishers.add(Thread.currentThread());
        }

        synchronized List<LogRecord> records() {
            return new ArrayList<>(records);
        }

        synchronized Thread publisher(int i) {
            return publishers.get(i);
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
    private long stuckBefore;

    @BeforeEach
    void collect() {
        levelBefore = jul.getLevel();
        parentsBefore = jul.getUseParentHandlers();
        jul.setLevel(Level.ALL);
        jul.setUseParentHandlers(false); // the test's lines stay out of the console
        jul.addHandler(handler);
        // A pause of the publisher (class loading, GC, a busy machine) must not count as a stuck
        // output where a test expects a line out before its call returns; the tests of a stuck
        // output set their own bound.
        stuckBefore = LogPublisher.stuckAfterNanos;
        LogPublisher.stuckAfterNanos = TimeUnit.MINUTES.toNanos(5);
    }

    @AfterEach
    void stopCollecting() {
        Log.endAside(); // a failed test leaves no window open
        LogPublisher.stuckAfterNanos = stuckBefore;
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
        assertNotEquals(Thread.currentThread(), handler.publisher(1), "published by the publisher thread");
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

        Log.get().log(System.Logger.Level.INFO, "after");
        List<LogRecord> records = handler.records();
        assertEquals("after", records.get(records.size() - 1).getMessage(), "published before the call returns");
        assertNotEquals(Thread.currentThread(), handler.publisher(records.size() - 1), "by the publisher thread");
    }

    @Test
    void outsideAWindowALineIsPublishedBeforeTheCallReturns() {
        for (int i = 0; i < 20; i++) {
            logDirectly("line " + i);
            List<LogRecord> records = handler.records();
            assertEquals(i + 1, records.size(), "line " + i + " is out when the call returns");
            assertEquals("line " + i, records.get(i).getMessage());
            assertEquals("jlivepatch-log", handler.publisher(i).getName());
        }
    }

    /** Waits until the collecting handler holds {@code n} records (the publisher catching up). */
    private List<LogRecord> awaitRecords(int n) throws InterruptedException {
        awaitUntil(() -> handler.records().size() >= n);
        return handler.records();
    }

    /** Waits until {@code done}; the 30 s bound only ends a failing run (how long it takes decides nothing). */
    private static void awaitUntil(java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    @Test
    void aStuckOutputHoldsNoCallerAndItsLinesComeOutInOrderOnceItTakesThemAgain() throws Exception {
        long before = LogPublisher.stuckAfterNanos;
        StuckLogHandler stuck = new StuckLogHandler();
        jul.removeHandler(handler);
        jul.addHandler(stuck); // first: the publisher stops in it before the collecting handler sees a line
        jul.addHandler(handler);
        LogPublisher.stuckAfterNanos = TimeUnit.MILLISECONDS.toNanos(50);
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                logDirectly("first"); // returns once the output has made no progress for 50 ms
                assertTrue(stuck.inside.await(30, TimeUnit.SECONDS));
                for (int i = 0; i < LogPublisher.MAX_QUEUED + 5; i++) {
                    logDirectly("held " + i); // no progress for a while already: none of these waits
                }
            }, "a caller waited for an output that takes no lines");
            assertEquals(List.of(), handler.records(), "nothing was published meanwhile: the output really was stuck");
        } finally {
            stuck.release.countDown();
            LogPublisher.stuckAfterNanos = before;
        }
        List<LogRecord> records = awaitRecords(LogPublisher.MAX_QUEUED + 2);
        assertEquals(LogPublisher.MAX_QUEUED + 2, records.size());
        assertEquals("first", records.get(0).getMessage());
        for (int i = 0; i < LogPublisher.MAX_QUEUED; i++) {
            assertEquals("held " + i, records.get(i + 1).getMessage(), "in order, as logged");
        }
        LogRecord report = records.get(LogPublisher.MAX_QUEUED + 1);
        assertEquals(Level.WARNING, report.getLevel());
        assertEquals("5 jlivepatch log lines dropped: the log's output stopped taking lines while 1000 were waiting"
                + " (the audit file keeps every change)", report.getMessage());
        jul.removeHandler(stuck);
        logDirectly("again");
        assertEquals("again", handler.records().get(LogPublisher.MAX_QUEUED + 2).getMessage(),
                "published before the call returns again");
    }

    @Test
    void anInterruptEndsTheWaitForAStuckOutputAndIsKept() throws Exception {
        long before = LogPublisher.stuckAfterNanos;
        StuckLogHandler stuck = new StuckLogHandler();
        jul.addHandler(stuck);
        LogPublisher.stuckAfterNanos = TimeUnit.HOURS.toNanos(1);
        try {
            AtomicBoolean keptInterrupt = new AtomicBoolean();
            Thread caller = new Thread(() -> {
                logDirectly("waits");
                keptInterrupt.set(Thread.currentThread().isInterrupted());
            }, "interrupted-caller");
            caller.start();
            assertTrue(stuck.inside.await(30, TimeUnit.SECONDS));
            caller.interrupt();
            caller.join(TimeUnit.SECONDS.toMillis(30));
            assertFalse(caller.isAlive(), "the interrupt ended the wait");
            assertTrue(keptInterrupt.get(), "the caller's interrupt status is kept");
        } finally {
            stuck.release.countDown();
            LogPublisher.stuckAfterNanos = before;
            jul.removeHandler(stuck);
        }
        assertEquals("waits", awaitRecords(1).get(0).getMessage());
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
        assertFalse(LogPublisher.begin(other), "no window for a back-end other than java.util.logging");
        other.log(System.Logger.Level.INFO, "at once");
        assertEquals(List.of("at once"), seen);
        Log.beginAside(); // the real logger's window: lines of another CleanLogger do not go in it
        other.log(System.Logger.Level.INFO, "still at once");
        assertEquals(List.of("at once", "still at once"), seen);
        Log.endAside();
    }

    /** A handler that publishes nothing and counts the looks at its formatter. */
    private static final class Looked extends Handler {
        final java.util.concurrent.atomic.AtomicInteger looks = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public java.util.logging.Formatter getFormatter() {
            looks.incrementAndGet();
            return super.getFormatter();
        }

        @Override
        public void publish(LogRecord r) {
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void linesComingFormatsOneRecordAsideWithTheJdksSimpleFormatterOnlyAndPublishesNothing() throws InterruptedException {
        java.util.concurrent.atomic.AtomicInteger custom = new java.util.concurrent.atomic.AtomicInteger();
        handler.setFormatter(new java.util.logging.Formatter() {
            @Override
            public String format(LogRecord r) {
                custom.incrementAndGet(); // an application's formatter may count or keep what it formats
                return "";
            }
        });
        Looked simple = new Looked();
        simple.setFormatter(new java.util.logging.SimpleFormatter());
        jul.addHandler(simple); // after the collecting handler, whose formatter is not the JDK's
        try {
            Log.linesComing(); // no window: nothing
            logDirectly("before");
            assertEquals(0, simple.looks.get(), "no warm-up outside a window");

            Log.beginAside();
            Log.linesComing();
            // A line queued before the log thread takes the request is published instead of the
            // warm-up (it warms as much), so the line waits until the warm-up has run.
            awaitUntil(() -> simple.looks.get() > 0);
            assertTrue(simple.looks.get() >= 1, "the warm-up looked for the JDK's formatter");
            logDirectly("after the warm-up");
            Log.endAside();

            assertEquals(0, custom.get(), "another formatter is never called");
            List<String> messages = new ArrayList<>();
            for (LogRecord r : handler.records()) {
                messages.add(r.getMessage());
            }
            assertEquals(List.of("before", "after the warm-up"), messages, "the warm-up published nothing");
        } finally {
            jul.removeHandler(simple); // the collecting handler is this test's own
        }
    }
}
