package io.jlivepatch.internal;

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
        StackTraceElement[] frames = original.getStackTrace();
        for (int i = 0; i < frames.length; i++) {
            frames[i] = clean(frames[i]);
        }
        setStackTrace(frames);
    }

    /** {@code t}, or a cleaned copy of it when some of its text needs escaping. */
    static Throwable of(Throwable t) {
        try {
            if (t == null || !needsCleaning(t, new IdentityHashMap<>(), 0)) {
                return t;
            }
            return copy(t, new IdentityHashMap<>(), 0);
        } catch (RuntimeException | LinkageError | VirtualMachineError brokenToString) {
            // Logging must not fail (an Error too: a toString out of memory, a cause chain deep enough
            // to overflow); the handler meets the same failure and copes.
            return t;
        }
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
        Throwable c = t.getCause();
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
