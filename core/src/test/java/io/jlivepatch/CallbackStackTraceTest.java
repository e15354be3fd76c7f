package io.jlivepatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import testapp.Stacked;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

import static io.jlivepatch.TestSupport.JLIVEPATCH_LOG;
import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A callback's failure is logged with what it threw, so that the operator sees where in the callback
 * it failed: the WARNING of a callback that stops nothing, and the refusal of an enable whose prePatch
 * threw. Before, each was one line, without the stack trace. The audit and status keep their one line.
 */
class CallbackStackTraceTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /** The records a SimpleFormatter formatted (as a console handler would: one it cannot format is lost). */
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final List<String> printed = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        private final SimpleFormatter formatter = new SimpleFormatter();

        @Override
        public void publish(LogRecord record) {
            PUBLISHING.set(true);
            try {
                printed.add(formatter.format(record)); // the stack trace too; throws as a handler would
                records.add(record);
            } finally {
                PUBLISHING.set(false);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    /** Whether this thread is inside the handler (jlivepatch's log thread, or the caller's when it logs directly). */
    private static final ThreadLocal<Boolean> PUBLISHING = ThreadLocal.withInitial(() -> false);

    public static int two(Stacked s) {
        return 2;
    }

    @BeforeEach
    void listen() {
        livepatch(); // installed first: the set-up sets jlivepatch's level
        JLIVEPATCH_LOG.addHandler(handler);
    }

    @AfterEach
    void stopListening() throws PatchException {
        JLIVEPATCH_LOG.removeHandler(handler);
        TestSupport.removeAllPatches();
    }

    private LogRecord warning(String starting) {
        List<LogRecord> found = records.stream().filter(r -> r.getLevel() == Level.WARNING
                && r.getMessage().startsWith(starting)).toList();
        assertEquals(1, found.size(), "one WARNING starting \"" + starting + "\" in " + printed);
        return found.get(0);
    }

    private static Patch.Builder patch(String name, Callbacks callbacks) {
        return Patch.builder(name).replace(method(Stacked.class, "value"), method(CallbackStackTraceTest.class, "two",
                Stacked.class)).callbacks(Stacked.class.getName(), callbacks);
    }

    @Test
    void aFailingPostPatchsWarningCarriesWhatItThrew() throws Exception {
        IllegalStateException[] thrown = new IllegalStateException[1];
        PatchHandle h = livepatch().register(patch("cb-trace-post", new Callbacks() {
            @Override
            public void postPatch(Class<?> target) {
                thrown[0] = new IllegalStateException("no cache to warm"); // its frames: this callback's
                throw thrown[0];
            }
        }).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        LogRecord r = warning("'cb-trace-post': postPatch of testapp.Stacked in class loader ");
        assertTrue(r.getMessage().endsWith(" threw java.lang.IllegalStateException: no cache to warm"), r.getMessage());
        assertSame(thrown[0], r.getThrown());
        assertTrue(printed.stream().anyMatch(p -> p.contains("'cb-trace-post': postPatch of testapp.Stacked")
                && p.contains(".postPatch(CallbackStackTraceTest.java:")), printed.toString());
        String status = RegistryAccess.get().lastCallbackFailure(h);
        assertTrue(status.startsWith("postPatch of testapp.Stacked") && !status.contains("\n"), status);
    }

    @Test
    void anEnableRefusedByItsPrePatchLogsWhatItThrew() throws Exception {
        IllegalStateException thrown = new IllegalStateException("no warm-up");
        PatchHandle h = livepatch().register(patch("cb-trace-pre", new Callbacks() {
            @Override
            public void prePatch(Class<?> target) {
                throw thrown;
            }
        }).build());
        PatchException e = assertThrows(PatchException.class, h::enable);
        assertEquals(PatchException.Reason.CALLBACK_FAILED, e.reason());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        LogRecord r = warning("enable refused (CALLBACK_FAILED): patch 'cb-trace-pre': prePatch of testapp.Stacked");
        assertSame(thrown, r.getThrown());
    }

    /** What a buggy callback may throw: an exception whose message, and so its toString, fails. */
    static final class Unprintable extends RuntimeException {
        @Override
        public String getMessage() {
            throw new NullPointerException("the message of an Unprintable");
        }
    }

    /**
     * A callback's exception whose methods are the patch's code, as any callback's may be: its text, cause and
     * frames read inside the handler, on jlivepatch's log thread and under the handler's lock, which the
     * application's own lines share. One that blocks there held them for good.
     */
    static final class Watched extends RuntimeException {
        final List<String> inHandler = new CopyOnWriteArrayList<>();

        Watched(String message) {
            super(message);
        }

        private void called(String what) {
            if (PUBLISHING.get()) {
                inHandler.add(what + " on " + Thread.currentThread().getName());
            }
        }

        @Override
        public String getMessage() {
            called("getMessage");
            return super.getMessage();
        }

        @Override
        public synchronized Throwable getCause() {
            called("getCause");
            return super.getCause();
        }

        @Override
        public StackTraceElement[] getStackTrace() {
            called("getStackTrace");
            return super.getStackTrace();
        }
    }

    /** The handler prints a copy made on the callback's thread: none of the exception's code runs inside it. */
    @Test
    void aCallbackExceptionsCodeNeverRunsInsideTheHandler() throws Exception {
        Watched[] thrown = new Watched[1];
        PatchHandle h = livepatch().register(patch("cb-trace-watched", new Callbacks() {
            @Override
            public void postPatch(Class<?> target) {
                thrown[0] = new Watched("cache not warmed");
                throw thrown[0];
            }
        }).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        LogRecord r = warning("'cb-trace-watched': postPatch of testapp.Stacked in class loader ");
        assertEquals(List.of(), thrown[0].inHandler, "the handler ran the callback's exception's code");
        assertTrue(r.getThrown() != thrown[0], "a copy, not the exception itself");
        assertTrue(printed.stream().anyMatch(p -> p.contains("'cb-trace-watched': postPatch")
                && p.contains(Watched.class.getName() + ": cache not warmed")
                && p.contains(".postPatch(CallbackStackTraceTest.java:")), printed.toString());
    }

    /** Its line is printed all the same, the thrown's text standing in for the text that could not be read. */
    @Test
    void aCallbackExceptionWhoseTextFailsStillHasItsLineAndItsStackTrace() throws Exception {
        PatchHandle h = livepatch().register(patch("cb-trace-unprintable", new Callbacks() {
            @Override
            public void postPatch(Class<?> target) {
                throw new Unprintable();
            }
        }).build());
        h.enable();
        assertTrue(h.awaitTransition(WAIT));
        LogRecord r = warning("'cb-trace-unprintable': postPatch of testapp.Stacked in class loader ");
        assertTrue(r.getMessage().contains(Unprintable.class.getName()), r.getMessage());
        assertTrue(printed.stream().anyMatch(p -> p.contains("'cb-trace-unprintable': postPatch")
                && p.contains(Unprintable.class.getName()) && p.contains(".postPatch(CallbackStackTraceTest.java:")),
                printed.toString());
    }
}
