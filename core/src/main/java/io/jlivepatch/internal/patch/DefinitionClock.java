package io.jlivepatch.internal.patch;

/**
 * When the transformer last saw a class being defined (not retransformed): lets a change of hooks
 * tell whether a class may have been defined, from the previous table, too late for its scan of the
 * loaded classes, without scanning them all a second time to find out.
 */
final class DefinitionClock {

    /**
     * {@link System#nanoTime()} at the end of the last definition's transform, or unset. Written by
     * any thread defining a class; read by the thread changing hooks (under the registry's lock).
     * Volatile: pairs the transformer's write with {@link #quietBetween}'s read.
     */
    private volatile long last;
    private volatile boolean any;

    /** A class definition has passed the transformer. */
    void defined() {
        last = System.nanoTime();
        any = true;
    }

    /**
     * Whether every class definition that passed the transformer before {@code scan} had at least
     * as long to become visible before the scan as the time from the scan to {@code now}: the time
     * HookManager otherwise waits (a whole retransformation) before it looks for late classes again.
     */
    boolean quietBetween(long scan, long now) {
        if (!any) {
            return true;
        }
        long l = last;
        return l - scan < 0 && scan - l > now - scan;
    }
}
