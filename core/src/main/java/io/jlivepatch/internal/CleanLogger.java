package io.jlivepatch.internal;

import java.text.MessageFormat;
import java.util.MissingResourceException;
import java.util.ResourceBundle;

/**
 * A {@link System.Logger} that formats each message itself, exactly as {@code java.util.logging}
 * and the JDK's simple console logger do ({@link MessageFormat} when the pattern has a
 * {@code {0}}-style placeholder, so {@code ''{0}''} keeps working; jlivepatch's own patterns by
 * {@link Placeholders}, to the same text), then {@link Text#clean cleans}
 * and bounds it and hands the delegate a finished message with no parameters, which the delegate
 * prints as it is (with {@code java.util.logging} as the back-end, from {@link LogPublisher}'s thread). A thrown
 * exception whose text needs escaping is passed as a {@link CleanThrowable}.
 *
 * <p>The JDK's loggers leave frames of {@code System.Logger} implementations out when they look for
 * the caller, so log records still name jlivepatch's class and method, not this one.
 */
final class CleanLogger implements System.Logger {

    /** The longest message passed on, before escaping: a log line is not a place for a megabyte of input. */
    static final int MAX_MESSAGE = 10_000;

    private final System.Logger delegate;
    /**
     * This logger's {@link LogPublisher}, or {@code null} until the first line (or for good, with
     * {@link #direct}): written under the publisher's lock, read here without it.
     */
    volatile LogPublisher publisher;
    /** Lines go to the delegate directly: its back-end is not java.util.logging, or the publisher ended. */
    volatile boolean direct;

    CleanLogger(System.Logger delegate) {
        this.delegate = delegate;
    }

    @Override
    public String getName() {
        return delegate.getName();
    }

    @Override
    public boolean isLoggable(Level level) {
        try {
            return delegate.isLoggable(level);
        } catch (Throwable e) {
            return false; // as a line the delegate fails to take (below)
        }
    }

    // Neither log method throws: jlivepatch logs from catch blocks and finally blocks of threads that
    // must go on (the in-flight follow-up, the audit thread, an operation undoing itself), and after an
    // operation's commit, where a line that cannot be made (no memory for its text, a delegate that
    // throws) would end the thread, replace the failure being reported, or leave the committed
    // operation without its audit record. Any Throwable: the delegate's handlers are the application's
    // code (an AssertionError under -ea, an IOError). Such a line is dropped; what it said stands
    // elsewhere (the refusal thrown, the audit log, status). So callers log directly, with no wrapper
    // of their own, and the record names them as its source.

    @Override
    public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
        try {
            if (!delegate.isLoggable(level)) {
                return;
            }
            emit(level, finish(localized(bundle, msg)), CleanThrowable.of(thrown));
        } catch (Throwable dropped) {
            // see above
        }
    }

    @Override
    public void log(Level level, ResourceBundle bundle, String format, Object... params) {
        try {
            if (!delegate.isLoggable(level)) {
                return;
            }
            emit(level, finish(format(localized(bundle, format), params)), null);
        } catch (Throwable dropped) {
            // see above
        }
    }

    /** A finished message (no parameters) to the publisher, else to the delegate. */
    private void emit(Level level, String message, Throwable thrown) {
        LogPublisher p = publisher;
        if (p == null && !direct) {
            try {
                p = LogPublisher.of(this);
            } catch (RuntimeException | LinkageError | VirtualMachineError e) {
                p = null; // no thread to spare (memory): this line goes directly, the next one tries again
            }
        }
        if (p == null || !p.offer(level, message, thrown)) {
            delegate.log(level, (ResourceBundle) null, message, thrown);
        }
    }

    /** The class of the logger this one passes messages to: which back-end it is. */
    String delegateClassName() {
        return delegate.getClass().getName();
    }

    private static String finish(String message) {
        return Text.clean(Text.truncate(message, MAX_MESSAGE));
    }

    private static String localized(ResourceBundle bundle, String msg) {
        if (bundle == null || msg == null) {
            return msg;
        }
        try {
            return bundle.getString(msg);
        } catch (MissingResourceException | ClassCastException e) {
            return msg;
        }
    }

    /** As {@code java.util.logging.Formatter.formatMessage}: the pattern itself when it has no placeholder or fails. */
    static String format(String format, Object... params) {
        if (format == null || params == null || params.length == 0) {
            return format;
        }
        for (int i = 0; i < format.length() - 2; i++) {
            if (format.charAt(i) == '{' && format.charAt(i + 1) >= '0' && format.charAt(i + 1) <= '9') {
                try {
                    String simple = Placeholders.format(format, params);
                    return simple != null ? simple : MessageFormat.format(format, params);
                } catch (RuntimeException e) {
                    return format; // a bad pattern, or a parameter whose toString failed
                }
            }
        }
        return format;
    }
}
