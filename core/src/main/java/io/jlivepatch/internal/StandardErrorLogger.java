package io.jlivepatch.internal;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZonedDateTime;
import java.util.ResourceBundle;

/**
 * jlivepatch's log back-end when it must not initialize {@code java.util.logging} ({@link JulFirstUse}):
 * each line to standard error in the format of {@code java.util.logging}'s {@code SimpleFormatter}
 * with its default pattern, so that the lines read as they do with the JDK's default configuration;
 * INFO and above, as that configuration logs. Messages come finished from {@link CleanLogger}.
 */
final class StandardErrorLogger implements System.Logger {

    /** SimpleFormatter's default format; the source is the logger's name. */
    private static final String FORMAT = "%1$tb %1$td, %1$tY %1$tl:%1$tM:%1$tS %1$Tp %2$s%n%3$s: %4$s%5$s%n";

    /** How long a line at the JVM's exit waits for standard error to take it. */
    static final long AT_EXIT_BOUND_MS = 1000;

    /**
     * Set once a line at the JVM's exit was not taken within {@link #AT_EXIT_BOUND_MS}: the lines after it
     * do not wait (each is still handed to a thread of its own, and printed should standard error take it).
     * Written and read by the exit's threads (shutdown hooks) with no other ordering: volatile.
     */
    private static volatile boolean stuckAtExit;

    private final String name;
    private final boolean atExit;

    StandardErrorLogger(String name) {
        this(name, false);
    }

    /**
     * {@code atExit}: for a line logged while the JVM shuts down ({@link Log#atExit()}), printed by a
     * daemon thread of its own and waited for at most {@link #AT_EXIT_BOUND_MS}: a standard error that
     * takes nothing (a pipe whose reader stopped) must not hold the JVM's exit for good, as a plain
     * print in a shutdown hook would.
     */
    StandardErrorLogger(String name, boolean atExit) {
        this.name = name;
        this.atExit = atExit;
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public boolean isLoggable(Level level) {
        return level != Level.OFF && level.getSeverity() >= Level.INFO.getSeverity();
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
        if (!isLoggable(level)) {
            return;
        }
        String trace = "";
        if (thrown != null) {
            StringWriter w = new StringWriter();
            try (PrintWriter p = new PrintWriter(w)) {
                p.println();
                thrown.printStackTrace(p);
            }
            trace = w.toString();
            trace = trace.substring(0, trace.length() - System.lineSeparator().length());
        }
        // one print: the line and its trace are not interleaved with another thread's
        String line = String.format(FORMAT, ZonedDateTime.now(), name, julName(level), String.valueOf(msg), trace);
        if (atExit) {
            printAtExit(line);
        } else {
            System.err.print(line);
        }
    }

    @SuppressWarnings("removal") // System.getSecurityManager: printerPrivileged only while one is set
    private static void printAtExit(String line) {
        Thread printer;
        try {
            printer = System.getSecurityManager() == null ? printer(line) : printerPrivileged(line);
            printer.start();
        } catch (RuntimeException | Error noThread) {
            // no thread to spare (memory): printed here, unless standard error was already found stuck
            if (!stuckAtExit) {
                System.err.print(line);
            }
            return;
        }
        if (stuckAtExit) {
            return;
        }
        try {
            printer.join(AT_EXIT_BOUND_MS); // pairs with the printer's end: its print happened before
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (printer.isAlive()) {
            stuckAtExit = true;
        }
    }

    private static Thread printer(String line) {
        Thread printer = new Thread(new Print(line), "jlivepatch line at exit");
        printer.setDaemon(true); // the JVM's halt does not wait for it
        return printer;
    }

    /**
     * {@link #printer} with jlivepatch's own permissions (JDK 17 to 23): a line at the exit may be logged by a thread
     * of the system group in a context without them (an application's shutdown hook whose unload the audit records,
     * a JMX client's call), where making a thread is refused (modifyThreadGroup) and the line was printed on the
     * caller's thread, which a stuck standard error then held for good (StuckStandardErrorAtExitTest).
     */
    @SuppressWarnings("removal") // AccessController: only while a SecurityManager is set
    private static Thread printerPrivileged(String line) {
        return java.security.AccessController.doPrivileged(new java.security.PrivilegedAction<Thread>() {
            @Override
            public Thread run() {
                return printer(line);
            }
        });
    }

    /** For tests: a stuck standard error is forgotten. */
    static void forgetStuckAtExitForTests() {
        stuckAtExit = false;
    }

    /** A class, not a lambda: a lambda's first use at the exit would bring up java.lang.invoke there. */
    private static final class Print implements Runnable {

        private final String line;

        Print(String line) {
            this.line = line;
        }

        @Override
        public void run() {
            System.err.print(line);
        }
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
        // formatted as CleanLogger formats for every other back-end
        log(level, bundle, params == null || params.length == 0 ? format : CleanLogger.format(format, params),
                (Throwable) null);
    }

    /** The level's name as java.util.logging prints it (System.Logger's mapping to it). */
    static String julName(Level level) {
        switch (level) {
            case ERROR:
                return "SEVERE";
            case WARNING:
                return "WARNING";
            case INFO:
                return "INFO";
            case DEBUG:
                return "FINE";
            case TRACE:
                return "FINER";
            default:
                return level.getName();
        }
    }
}
