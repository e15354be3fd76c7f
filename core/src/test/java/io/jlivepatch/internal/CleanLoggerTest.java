package io.jlivepatch.internal;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.ResourceBundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CleanLoggerTest {

    /** What the JDK's logger would be handed. */
    private record Record(System.Logger.Level level, String message, Object[] params, Throwable thrown) {
    }

    private static class Capturing implements System.Logger {
        final List<Record> records = new ArrayList<>();
        System.Logger.Level threshold = System.Logger.Level.INFO;

        @Override
        public String getName() {
            return "io.jlivepatch";
        }

        @Override
        public boolean isLoggable(Level level) {
            return level.getSeverity() >= threshold.getSeverity();
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
            records.add(new Record(level, msg, null, thrown));
        }

        @Override
        public void log(Level level, ResourceBundle bundle, String format, Object... params) {
            records.add(new Record(level, format, params, null));
        }
    }

    private final Capturing jdk = new Capturing();
    private final System.Logger log = new CleanLogger(jdk);

    @Test
    void messageFormatPatternsKeepTheirMeaning() {
        log.log(System.Logger.Level.INFO, "''{0}'': registered, {1} function(s), stack order {2}", "fix", 2, 1);
        log.log(System.Logger.Level.INFO, "no placeholder, so no ''formatting''", "unused");
        log.log(System.Logger.Level.INFO, "a plain message ''as is''");
        assertEquals("'fix': registered, 2 function(s), stack order 1", jdk.records.get(0).message());
        assertEquals("no placeholder, so no ''formatting''", jdk.records.get(1).message());
        assertEquals("a plain message ''as is''", jdk.records.get(2).message());
        assertNull(jdk.records.get(0).params(), "the delegate gets a finished message, with nothing left to format");
    }

    @Test
    void aParameterCannotForgeALogLine() {
        log.log(System.Logger.Level.WARNING, "{0} refused ({1}): {2}", "load", "INVALID_PATCH",
                "patch JAR /tmp/x\nWARNING: forged\u001b[2J\u2028.jar: no such file");
        String m = jdk.records.get(0).message();
        assertEquals("load refused (INVALID_PATCH): patch JAR /tmp/x\\nWARNING: forged\\e[2J\\u2028.jar: no such file", m);
    }

    @Test
    void aMessageWithoutParametersIsCleanedToo() {
        log.log(System.Logger.Level.ERROR, "skipping /tmp/a\rb.jar");
        log.log(System.Logger.Level.ERROR, "failed at /tmp/c\nd", new IllegalStateException("plain"));
        assertEquals("skipping /tmp/a\\rb.jar", jdk.records.get(0).message());
        assertEquals("failed at /tmp/c\\nd", jdk.records.get(1).message());
    }

    @Test
    void aThrowableWithCleanTextIsPassedAsItIs() {
        IllegalStateException e = new IllegalStateException("nothing odd", new RuntimeException("cause"));
        log.log(System.Logger.Level.ERROR, "m", e);
        assertSame(e, jdk.records.get(0).thrown());
    }

    @Test
    void aThrowableWhoseTextNeedsEscapingIsPrintedCleaned() {
        IllegalStateException cause = new IllegalStateException("cause\nCaused by: forged");
        RuntimeException e = new RuntimeException("outer\u001b[31m", cause);
        e.addSuppressed(new IllegalArgumentException("suppressed\u2028"));
        log.log(System.Logger.Level.ERROR, "m", e);
        Throwable logged = jdk.records.get(0).thrown();
        assertEquals("java.lang.RuntimeException: outer\\e[31m", logged.toString());
        assertEquals("outer\\e[31m", logged.getMessage());
        assertEquals("java.lang.IllegalStateException: cause\\nCaused by: forged", logged.getCause().toString());
        assertEquals(e.getStackTrace().length, logged.getStackTrace().length);
        assertEquals(e.getStackTrace()[0], logged.getStackTrace()[0]);
        StringWriter printed = new StringWriter();
        logged.printStackTrace(new PrintWriter(printed));
        String[] lines = printed.toString().split("\n");
        assertTrue(lines[0].equals("java.lang.RuntimeException: outer\\e[31m"), printed.toString());
        assertTrue(printed.toString().contains("Suppressed: java.lang.IllegalArgumentException: suppressed\\u2028"),
                printed.toString());
        assertFalse(printed.toString().contains("\u001b") || printed.toString().contains("\u2028"), printed.toString());
        assertEquals(1, java.util.Arrays.stream(lines).filter(l -> l.startsWith("Caused by: ")).count(),
                "one cause line, not a forged one: " + printed);
    }

    @Test
    void aCycleOfCausesEnds() {
        RuntimeException a = new RuntimeException("a\n");
        IllegalStateException b = new IllegalStateException("b", a);
        a.initCause(b);
        log.log(System.Logger.Level.ERROR, "m", a);
        Throwable logged = jdk.records.get(0).thrown();
        assertEquals("java.lang.IllegalStateException: b", logged.getCause().toString());
        assertNull(logged.getCause().getCause());
    }

    @Test
    void nothingIsFormattedBelowTheLevel() {
        jdk.threshold = System.Logger.Level.WARNING;
        Object loud = new Object() {
            @Override
            public String toString() {
                throw new AssertionError("formatted although not loggable");
            }
        };
        log.log(System.Logger.Level.INFO, "{0}", loud);
        assertTrue(jdk.records.isEmpty());
        assertFalse(log.isLoggable(System.Logger.Level.DEBUG));
    }

    @Test
    void aHugeMessageIsCut() {
        log.log(System.Logger.Level.WARNING, "load refused: {0}", "x".repeat(1_000_000));
        String m = jdk.records.get(0).message();
        assertTrue(m.length() < CleanLogger.MAX_MESSAGE + 100, "length " + m.length());
        assertTrue(m.endsWith("\u2026(truncated, 1000014 chars)"), m.substring(m.length() - 40));
    }

    @Test
    void aThrowableWhoseTextRunsOutOfMemoryIsPassedOnAndTheCallerGoesOn() {
        RuntimeException e = new RuntimeException() {
            @Override
            public String toString() {
                throw new OutOfMemoryError("a test's toString");
            }
        };
        log.log(System.Logger.Level.ERROR, "a look failed", e); // threw the OutOfMemoryError before
        // Not the JDK's class: copied (see below), its text saying what could not be read.
        assertEquals(e.getClass().getName() + " (whose message could not be read: java.lang.OutOfMemoryError)",
                jdk.records.get(0).thrown().toString());
    }

    /** What a handler must never call: an exception of the application's (a callback's) answering on another thread. */
    private static final class Watched extends RuntimeException {
        final List<String> calls = new java.util.concurrent.CopyOnWriteArrayList<>();

        Watched(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public String getMessage() {
            calls.add("getMessage");
            return super.getMessage();
        }

        @Override
        public synchronized Throwable getCause() {
            calls.add("getCause");
            return super.getCause();
        }

        @Override
        public StackTraceElement[] getStackTrace() {
            calls.add("getStackTrace");
            return super.getStackTrace();
        }
    }

    @Test
    void aForeignThrowableIsHandedOnAsACopyThatRunsNoneOfItsCode() {
        Watched inner = new Watched("inner", null);
        IllegalStateException e = new IllegalStateException("outer", inner); // the JDK's, with a foreign cause
        log.log(System.Logger.Level.WARNING, "a callback failed", e);
        Throwable logged = jdk.records.get(0).thrown();
        int callsWhileCopying = inner.calls.size();
        StringWriter printed = new StringWriter();
        logged.printStackTrace(new PrintWriter(printed)); // what a handler does, on its own thread
        assertEquals(callsWhileCopying, inner.calls.size(), "the handler ran the foreign code: " + inner.calls);
        assertTrue(logged != e && logged.getCause() != inner, "a copy, not the objects themselves");
        assertEquals(e.toString(), logged.toString());
        assertEquals(inner.toString(), logged.getCause().toString());
        assertEquals(inner.getStackTrace().length, logged.getCause().getStackTrace().length, "its frames are kept");
        assertTrue(printed.toString().contains("Caused by: " + Watched.class.getName() + ": inner"), printed.toString());
    }

    @Test
    void aForeignThrowableWhoseFramesCannotBeReadKeepsItsText() {
        RuntimeException e = new RuntimeException("no frames") {
            @Override
            public StackTraceElement[] getStackTrace() {
                throw new IllegalStateException("a broken override");
            }

            @Override
            public synchronized Throwable getCause() {
                throw new IllegalStateException("a broken override");
            }
        };
        log.log(System.Logger.Level.WARNING, "a callback failed", e);
        Throwable logged = jdk.records.get(0).thrown();
        assertEquals(e.getClass().getName() + ": no frames", logged.toString());
        assertEquals(0, logged.getStackTrace().length);
        assertNull(logged.getCause());
    }

    @Test
    void aDelegateThatThrowsAnErrorDropsTheLineAndTheCallerGoesOn() {
        System.Logger failing = new CleanLogger(new Capturing() {
            @Override
            public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
                throw new StackOverflowError("a test's handler");
            }
        });
        failing.log(System.Logger.Level.WARNING, "one {0}", "line"); // threw before
        failing.log(System.Logger.Level.WARNING, "another line");
        failing.log(System.Logger.Level.WARNING, "with a throwable", new IllegalStateException());
    }

    /**
     * A handler is the application's code: an AssertionError under -ea, an IOError. Only
     * RuntimeException, LinkageError and VirtualMachineError were caught, so such an Error reached the
     * caller, from the catch and finally blocks that log and after an operation's commit.
     */
    @Test
    void aDelegateThatThrowsAnyErrorDropsTheLineAndTheCallerGoesOn() {
        System.Logger failing = new CleanLogger(new Capturing() {
            @Override
            public boolean isLoggable(Level level) {
                if (level == Level.DEBUG) {
                    throw new java.io.IOError(new java.io.IOException("a test's level check"));
                }
                return true;
            }

            @Override
            public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
                throw new AssertionError("a test's handler, under -ea");
            }
        });
        failing.log(System.Logger.Level.WARNING, "one {0}", "line"); // threw the AssertionError before
        failing.log(System.Logger.Level.WARNING, "with a throwable", new IllegalStateException());
        failing.log(System.Logger.Level.DEBUG, "below the level, asked of a delegate that throws");
        assertFalse(failing.isLoggable(System.Logger.Level.DEBUG), "a level check that throws: not loggable");
    }

    /**
     * Log.get()'s logger is made once, in a class initializer: had System.getLogger thrown there (an
     * application's System.LoggerFinder with a broken service file), every later Log.get() would throw
     * NoClassDefFoundError. Such a failure leaves standard error, said in its first line.
     */
    @Test
    void aSystemLoggerThatCannotBeMadeLeavesStandardErrorSaidInTheFirstLine() {
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        java.io.PrintStream err = System.err;
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            System.Logger l = Log.standardErrorBecause(new java.util.ServiceConfigurationError(
                    "java.lang.System$LoggerFinder: Provider com.acme.Missing not found\nforged"));
            l.log(System.Logger.Level.WARNING, "then the lines themselves");
        } finally {
            System.setErr(err);
        }
        String out = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(out.contains("WARNING: jlivepatch logs to standard error: the JVM's System.Logger for io.jlivepatch"
                + " could not be made (java.util.ServiceConfigurationError: java.lang.System$LoggerFinder: Provider"
                + " com.acme.Missing not found\\nforged)"), out);
        assertTrue(out.contains("WARNING: then the lines themselves"), out);
    }

    @Test
    void logGetReturnsACleaningLoggerNamedIoJlivepatch() {
        assertEquals("io.jlivepatch", Log.get().getName());
        assertTrue(Log.get() instanceof CleanLogger);
        assertSame(Log.get(), Log.get());
    }
}
