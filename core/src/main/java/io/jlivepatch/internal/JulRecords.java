package io.jlivepatch.internal;

import java.lang.StackWalker.StackFrame;
import java.util.Iterator;
import java.util.function.Function;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Stream;

/**
 * The {@code java.util.logging} side of {@link LogPublisher}: a log line taken on the calling thread
 * as the JDK's {@code System.Logger} for {@code java.util.logging} would take it (a {@link LogRecord}
 * with the calling thread's id, the time of the call and the level mapped as that logger maps it),
 * with its source, which a handler would otherwise infer from the thread that publishes it, found
 * now as {@code LogRecord}'s caller finder finds it; published later through the same
 * {@code Logger}, so that every handler and formatter sees the record the direct call would have
 * made. Loaded only when that is the logging back-end: an image without {@code java.logging}
 * never loads it.
 */
final class JulRecords implements Function<Stream<StackFrame>, StackFrame> {

    /** The class of the {@code System.Logger} the JDK gives when {@code java.util.logging} is the back-end. */
    static final String JUL_WRAPPER = "sun.util.logging.internal.LoggingProviderImpl$JULWrapper";

    /** jlivepatch's own ({@link ClassWalker}): the first line may be logged on an application's thread. */
    private static final StackWalker WALKER = ClassWalker.get();
    /** As {@code jdk.internal.logger.SimpleConsoleLogger.Formatting}: more packages whose frames are not callers. */
    private static final String[] SKIPS = skips();

    private final Logger logger;

    /** Must run on a thread of jlivepatch's own class loader's code: {@code getLogger} finds the context by its caller. */
    JulRecords(String name) {
        this.logger = Logger.getLogger(name);
    }

    /** The record of one log call, made on the calling thread; {@code message} is final (no parameters). */
    Object record(System.Logger.Level level, String message, Throwable thrown) {
        LogRecord r = new LogRecord(toJul(level), message); // the time and the thread: this call's
        r.setLoggerName(logger.getName());
        r.setThrown(thrown);
        StackFrame caller = WALKER.walk(this);
        // What LogRecord.inferCaller would give on this thread (null, null when nothing qualifies).
        r.setSourceClassName(caller == null ? null : caller.getClassName());
        r.setSourceMethodName(caller == null ? null : caller.getMethodName());
        return r;
    }

    /** Publishes a record of {@link #record}. */
    void publish(Object r) {
        logger.log((LogRecord) r);
    }

    /**
     * Formats a record, and prints nothing, when a handler the logger's lines reach formats with the
     * JDK's {@link SimpleFormatter}: the first line a cold JVM formats loads and runs the date, time
     * zone, locale and resource-bundle code behind that format (about 40 ms on JDK 17, BENCHMARKS.md
     * section 4), which done here overlaps the start-up patches' loading instead of holding the end
     * of {@code premain}. Any other formatter is never called: it may count or keep what it formats.
     * A {@code SimpleFormatter} keeps nothing (its format is fixed when it is made).
     */
    void warmFormatting() {
        for (Logger l = logger; l != null; l = l.getParent()) {
            for (Handler h : l.getHandlers()) {
                Formatter f = h.getFormatter();
                if (f != null && f.getClass() == SimpleFormatter.class) {
                    LogRecord r = new LogRecord(Level.INFO, "");
                    r.setLoggerName(logger.getName());
                    r.setSourceClassName(JulRecords.class.getName());
                    r.setSourceMethodName("warmFormatting");
                    f.format(r);
                    return;
                }
            }
            if (!l.getUseParentHandlers()) {
                return;
            }
        }
    }

    /** As {@code LoggingProviderImpl.JULWrapper.toJUL}. Not a switch: its map would be one more class. */
    private static Level toJul(System.Logger.Level level) {
        if (level == System.Logger.Level.INFO) {
            return Level.INFO;
        } else if (level == System.Logger.Level.WARNING) {
            return Level.WARNING;
        } else if (level == System.Logger.Level.ERROR) {
            return Level.SEVERE;
        } else if (level == System.Logger.Level.DEBUG) {
            return Level.FINE;
        } else if (level == System.Logger.Level.TRACE) {
            return Level.FINER;
        } else if (level == System.Logger.Level.ALL) {
            return Level.ALL;
        }
        return Level.OFF;
    }

    /**
     * The caller: the first frame that is not logging machinery, as {@code LogRecord.CallerFinder}
     * sees it once past the {@code java.util.logging.Logger} frames: a direct call's stack holds
     * those frames where this one holds {@link LogPublisher}'s and this class's, which are skipped
     * here. This class itself, not a lambda or a class of its own: each costs start-up.
     */
    @Override
    public StackFrame apply(Stream<StackFrame> frames) {
        for (Iterator<StackFrame> it = frames.iterator(); it.hasNext(); ) {
            StackFrame f = it.next();
            Class<?> c = f.getDeclaringClass();
            if (c != JulRecords.class && c != LogPublisher.class && !filtered(f)) {
                return f;
            }
        }
        return null;
    }

    /** {@code jdk.internal.logger.SimpleConsoleLogger.Formatting.isFilteredFrame}, which LogRecord uses. */
    static boolean filtered(StackFrame f) {
        if (System.Logger.class.isAssignableFrom(f.getDeclaringClass())) {
            return true;
        }
        String cname = f.getClassName();
        char c = cname.length() < 12 ? 0 : cname.charAt(0);
        if (c == 's') {
            if (cname.startsWith("sun.util.logging.") || cname.startsWith("sun.rmi.runtime.Log")) {
                return true;
            }
        } else if (c == 'j') {
            if (cname.startsWith("jdk.internal.logger.BootstrapLogger$LogEvent")) {
                return false;
            }
            if (cname.startsWith("jdk.internal.logger.") || cname.startsWith("java.util.logging.")
                    || cname.startsWith("java.lang.invoke.MethodHandle")
                    || cname.startsWith("java.security.AccessController")) {
                return true;
            }
        }
        for (String s : SKIPS) {
            if (!s.isEmpty() && cname.startsWith(s)) {
                return true;
            }
        }
        return false;
    }

    private static String[] skips() {
        String more = System.getProperty("jdk.logger.packages");
        return more == null ? new String[0] : more.split(",");
    }
}
