package io.jlivepatch.internal;

import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * A logged exception whose text (its {@code toString()}, a frame, a cause or a suppressed one)
 * holds characters that {@link Text#clean} escapes, copied with that text cleaned: log handlers
 * print it with {@code printStackTrace}, which takes the header from {@link #toString()} and the
 * frames, cause and suppressed exceptions from the copy. An exception with nothing to escape is
 * logged as it is, its class intact. One whose text cannot be read (a patch's exception whose
 * message throws) is copied too, its text as {@link Text#of} gives it: as it is, the handler's
 * {@code printStackTrace} failed and the whole line was lost.
 *
 * <p>So is any exception of a class the JDK did not define (a callback's, the application's), or
 * with one among its causes and suppressed ones: its {@code toString}, {@code getMessage},
 * {@code getCause} and {@code getStackTrace} are that code's, and a handler would run them later,
 * on jlivepatch's log thread ({@link LogPublisher}) and inside its own lock, which the
 * application's lines share: one that blocks there held the log and the application's handler for
 * good, one that recurses or changes its answer made a different line. The copy reads them once,
 * on the caller's thread, where the callback that threw it ran; the handler gets text and frames
 * only. Until 2026-12-07 a callback's exception was handed on as it was (CallbackStackTraceTest).
 */
final class CleanThrowable extends Throwable {

    private static final long serialVersionUID = 1L;

    /** Causes and suppressed exceptions followed at most this deep; a longer chain is cut. */
    private static final int MAX_DEPTH = 64;

    private final String text;
    private final String message;

    private CleanThrowable(Throwable original, CleanThrowable cause) {
        super(null, cause, true, true);
        this.text = Text.clean(Text.of(original));
        String m;
        try {
            m = original.getMessage();
        } catch (RuntimeException | Error unreadable) {
            m = null; // its text (Text.of) says it could not be read
        }
        this.message = m == null ? null : Text.clean(m);
        setStackTrace(framesOf(original));
    }

    /** {@code t}'s frames, cleaned; none when its (overridden) getStackTrace throws or gives none. */
    private static StackTraceElement[] framesOf(Throwable t) {
        StackTraceElement[] frames;
        try {
            frames = t.getStackTrace();
        } catch (RuntimeException | LinkageError unreadable) {
            return new StackTraceElement[0]; // a foreign override's bug: the text still names what was thrown
        }
        if (frames == null) {
            return new StackTraceElement[0];
        }
        int n = 0;
        StackTraceElement[] out = new StackTraceElement[frames.length];
        for (StackTraceElement f : frames) {
            if (f != null) { // setStackTrace refuses a null frame
                out[n++] = clean(f);
            }
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /** {@code t}'s cause; none when its (overridden) getCause throws. */
    private static Throwable causeOf(Throwable t) {
        try {
            return t.getCause();
        } catch (RuntimeException | LinkageError unreadable) {
            return null;
        }
    }

    /** {@code t}, or a cleaned copy of it when some of its text needs escaping. */
    static Throwable of(Throwable t) {
        if (t == null) {
            return null;
        }
        boolean foreign = true; // until known otherwise: a foreign one is never handed on as it is
        try {
            foreign = hasForeign(t, new IdentityHashMap<>(), 0);
            if (!foreign && !needsCleaning(t, new IdentityHashMap<>(), 0)) {
                return t;
            }
            return copy(t, new IdentityHashMap<>(), 0);
        } catch (RuntimeException | LinkageError | VirtualMachineError brokenToString) {
            // Logging must not fail (an Error too: a toString out of memory, a cause chain deep enough
            // to overflow); the handler meets the same failure of the JDK's exception and copes. A foreign
            // one goes without its stack trace: its line still says what was thrown.
            return foreign ? null : t;
        }
    }

    /**
     * Whether {@code t}, a cause or a suppressed one is of a class the JDK did not define ({@link #foreign}).
     * Runs no such class's code: it looks no further than the first one, and getSuppressed is final.
     */
    private static boolean hasForeign(Throwable t, Map<Throwable, Boolean> seen, int depth) {
        if (foreign(t.getClass())) {
            return true;
        }
        if (depth > MAX_DEPTH || seen.put(t, Boolean.TRUE) != null) {
            return false;
        }
        Throwable c = causeOf(t); // the JDK's getCause: t's class is the JDK's
        if (c != null && hasForeign(c, seen, depth + 1)) {
            return true;
        }
        for (Throwable s : t.getSuppressed()) {
            if (hasForeign(s, seen, depth + 1)) {
                return true;
            }
        }
        return false;
    }

    /** A class whose methods are not the JDK's: defined by neither the boot nor the platform class loader. */
    private static boolean foreign(Class<?> c) {
        ClassLoader l = c.getClassLoader();
        return c != CleanThrowable.class && l != null && l != ClassLoader.getPlatformClassLoader();
    }

    private static boolean needsCleaning(Throwable t, Map<Throwable, Boolean> seen, int depth) {
        if (depth > MAX_DEPTH || seen.put(t, Boolean.TRUE) != null) {
            return false;
        }
        String text;
        try {
            text = t.toString();
        } catch (VirtualMachineError e) {
            throw e; // out of memory or stack: passed on as it is (of), the handler meets it as it may
        } catch (RuntimeException | Error unreadable) {
            // A patch's exception whose message throws (a bug of its own): handed on as it is, the handler's
            // printStackTrace met the same failure and the whole line was lost. Copied, it reads as Text.of says.
            return true;
        }
        if (dirty(text)) {
            return true;
        }
        for (StackTraceElement f : t.getStackTrace()) {
            if (dirty(f.getClassName()) || dirty(f.getMethodName()) || dirty(f.getFileName())
                    || dirty(f.getClassLoaderName()) || dirty(f.getModuleName()) || dirty(f.getModuleVersion())) {
                return true;
            }
        }
        if (t.getCause() != null && needsCleaning(t.getCause(), seen, depth + 1)) {
            return true;
        }
        for (Throwable s : t.getSuppressed()) {
            if (needsCleaning(s, seen, depth + 1)) {
                return true;
            }
        }
        return false;
    }

    private static CleanThrowable copy(Throwable t, Map<Throwable, Boolean> seen, int depth) {
        seen.put(t, Boolean.TRUE);
        Throwable c = causeOf(t);
        // A cause already copied is a cycle: printStackTrace would mark it, the copy just ends there.
        CleanThrowable cause = c == null || depth >= MAX_DEPTH || seen.containsKey(c) ? null : copy(c, seen, depth + 1);
        CleanThrowable copy = new CleanThrowable(t, cause);
        for (Throwable s : t.getSuppressed()) {
            if (depth < MAX_DEPTH && !seen.containsKey(s)) {
                copy.addSuppressed(copy(s, seen, depth + 1));
            }
        }
        return copy;
    }

    private static boolean dirty(String s) {
        return s != null && Text.clean(s) != s;
    }

    private static String cleanOrNull(String s) {
        return s == null ? null : Text.clean(s);
    }

    private static StackTraceElement clean(StackTraceElement f) {
        return new StackTraceElement(cleanOrNull(f.getClassLoaderName()), cleanOrNull(f.getModuleName()),
                cleanOrNull(f.getModuleVersion()), Text.clean(f.getClassName()), Text.clean(f.getMethodName()),
                cleanOrNull(f.getFileName()), f.getLineNumber());
    }

    /** The frames are the original's, set by the constructor: there is nothing of this copy's own to record. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }

    @Override
    public String getMessage() {
        return message;
    }

    @Override
    public String getLocalizedMessage() {
        return message;
    }

    @Override
    public String toString() {
        return text;
    }
}
