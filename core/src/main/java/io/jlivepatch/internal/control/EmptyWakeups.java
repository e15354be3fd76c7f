package io.jlivepatch.internal.control;

import io.jlivepatch.internal.OwnThread;

import java.nio.channels.Channel;
import java.util.concurrent.TimeUnit;

/**
 * The wake-ups in a row of one thread's wait (a select) that found nothing to do, and the pause that
 * bounds them: a selector whose {@code select} returns at once again and again (a patch of a JDK
 * method the select runs that returns without waiting, a JDK bug) would otherwise have its thread
 * spin a CPU for as long as it lasts. The first {@link #FREE} in a row cost nothing (a close's
 * wake-up); each one after is followed by a pause, doubling from {@link #firstPauseMillis} up to
 * {@link #maxPauseMillis}, which a close of the channel waited for ends at once. Progress (a
 * connection accepted, bytes read or written) starts the count over, and so does a quiet spell: a
 * wake-up more than {@link #QUIET_MILLIS} after the one before it is not part of a spin.
 *
 * <p>A wake-up an interrupt of the thread came with is not counted at all (application code that
 * interrupts every thread, now and then or every millisecond): a pause saves nothing there, since
 * every interrupt ends the pause's wait as it ends the select (a monitor's wait, a park, a sleep: the
 * JDK has no wait an interrupt does not end), so the thread wakes once per interrupt either way; the
 * pause only made each command wait for its end, up to {@link #MAX_PAUSE_MILLIS} for its connection
 * and again for each read of a session. Counted, an interrupt every millisecond had the accept loop
 * pausing 100 ms after each wake-up, and warning of a spin, 64 ms after it began.
 * One thread's (the accept loop's, a session's): not thread-safe.
 */
final class EmptyWakeups {

    /** Wake-ups in a row with nothing to do before the first pause. */
    static final int FREE = 64;
    /** The first pause and the longest, in ms; tests set others ({@link #pausesForTests}). */
    static final long FIRST_PAUSE_MILLIS = 1;
    static final long MAX_PAUSE_MILLIS = 100;
    private static volatile long firstPauseMillis = FIRST_PAUSE_MILLIS;
    private static volatile long maxPauseMillis = MAX_PAUSE_MILLIS;

    /**
     * A wake-up this long after the one before starts the count over: longer than any pause, so that
     * a spin's wake-ups, paused, stay one row. Tests that set the pauses count rows whatever the time
     * ({@link #pausesForTests}): a slow machine must not end a test's row.
     */
    static final long QUIET_MILLIS = 1000;
    private static volatile long quietNanos = TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS);

    /** When the last wake-up without an interrupt came ({@link System#nanoTime}), for {@link #QUIET_MILLIS}. */
    private long lastWoke;
    /** Whether an interrupt of the thread was set after its last wake-up ({@link #woke}): not counted. */
    private boolean byInterrupt;
    private int inARow;
    private long pause;

    /** The wait returned; {@code byInterrupt}: an interrupt of the thread was set after it (cleared). */
    void woke(boolean byInterrupt) {
        this.byInterrupt = byInterrupt;
        if (byInterrupt) {
            return; // not counted, nor a time for the quiet spell: interrupts every 10 ms kept a row going for hours
        }
        long now = System.nanoTime();
        if (inARow > 0 && now - lastWoke > Math.max(quietNanos, TimeUnit.MILLISECONDS.toNanos(2 * maxPauseMillis))) {
            reset(); // a quiet spell since the last: not a spin
        }
        lastWoke = now;
    }

    /**
     * The last wake-up ({@link #woke}) found nothing to do; the pause in ms that should follow it, 0 for
     * none. One an interrupt came with is neither counted nor paused after (see the class's comment), nor
     * does it end the row: a select that returns at once, interrupted now and then, still pauses.
     */
    long empty() {
        if (byInterrupt) {
            return 0;
        }
        inARow++;
        if (inARow <= FREE) {
            return 0;
        }
        pause = pause == 0 ? firstPauseMillis : Math.min(pause * 2, maxPauseMillis);
        return pause;
    }

    /** Whether the last {@link #empty} asked for the first pause since the count started over. */
    boolean firstPause() {
        return !byInterrupt && inARow == FREE + 1;
    }

    /** How many wake-ups in a row found nothing (those with an interrupt not counted); for the log. */
    String said() {
        return inARow + " times in a row with no interrupt of its thread";
    }

    /** Progress: the count starts over, and with it the pauses. */
    void reset() {
        inARow = 0;
        pause = 0;
    }

    /**
     * Waits {@code millis} on {@code monitor}, or until {@code channel} is closed: its closer closes it,
     * then notifies {@code monitor} (looked at under the monitor before each wait: either this sees it
     * closed, or the notify finds it waiting). An interrupt is an application's (the thread is
     * jlivepatch's own): cleared and paused through, as ControlServer's pause after a failure.
     */
    static void pause(Object monitor, Channel channel, long millis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (monitor) {
            for (long left = end - System.nanoTime(); left > 0 && channel.isOpen(); left = end - System.nanoTime()) {
                OwnThread.clearApplicationInterrupt();
                try {
                    TimeUnit.NANOSECONDS.timedWait(monitor, left);
                } catch (InterruptedException e) {
                    // an application's interrupt: paused through
                }
            }
        }
        OwnThread.clearApplicationInterrupt();
    }

    /** Sets the first pause and the longest; for tests. */
    static void pausesForTests(java.time.Duration first, java.time.Duration max) {
        firstPauseMillis = first.toMillis();
        maxPauseMillis = max.toMillis();
        quietNanos = Long.MAX_VALUE; // counted, not timed, in tests
    }

    /** Sets how long a quiet spell ends a row ({@link #QUIET_MILLIS}); for tests. */
    static void quietForTests(java.time.Duration quiet) {
        quietNanos = quiet.toNanos();
    }
}
