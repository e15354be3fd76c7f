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

    private final String name;

    StandardErrorLogger(String name) {
        this.name = name;
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
        System.err.print(String.format(FORMAT, ZonedDateTime.now(), name, julName(level), String.valueOf(msg), trace));
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
