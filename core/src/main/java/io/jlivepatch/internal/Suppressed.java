package io.jlivepatch.internal;

/**
 * Adds a failure met while handling another to the one thrown, where nothing may replace the thrown
 * one: an undo's, an uninstall's, a clean-up's. Loaded at the hooks' installation (HookManager's
 * LOADED_EARLY), so that a path out of memory never loads it.
 */
public final class Suppressed {

    private Suppressed() {
    }

    /**
     * Adds {@code lost} to {@code thrown}'s suppressed exceptions, unless it is none or the same one: the
     * JVM throws one shared OutOfMemoryError once its preallocated ones are used up, and a throwable
     * added to itself throws IllegalArgumentException, which would replace the shortage. No memory for
     * the addition loses {@code lost} only (logged where it was met, or the JVM's own); {@code thrown}
     * goes on. Never throws.
     */
    public static void add(Throwable thrown, Throwable lost) {
        if (lost == null || lost == thrown || thrown == null) {
            return;
        }
        try {
            thrown.addSuppressed(lost);
        } catch (RuntimeException | Error e) {
            // thrown goes on without it
        }
    }
}
