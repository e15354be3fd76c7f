package io.jlivepatch.internal.watch;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How a patch directory is watched ({@code patches=<dir>,watch=true,interval=<s>,timeout=<s>}).
 *
 * @param directory the directory whose patch JARs are the desired stack
 * @param interval  how often it is read even without a file event (a missed event, a file system
 *                  without events)
 * @param timeout   how long one transition may take before the reconcile reverses it and fails
 */
public record WatchOptions(Path directory, Duration interval, Duration timeout) {

    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** Bounds of both, in seconds: at least a second, at most a day (an hour for a transition). */
    public static final long MAX_INTERVAL_SECONDS = 86_400;
    public static final long MAX_TIMEOUT_SECONDS = 3_600;

    public WatchOptions {
        Objects.requireNonNull(directory, "directory");
        if (interval.toSeconds() < 1 || interval.toSeconds() > MAX_INTERVAL_SECONDS) {
            throw new IllegalArgumentException("interval=" + interval.toSeconds() + ": give 1 to "
                    + MAX_INTERVAL_SECONDS + " seconds");
        }
        if (timeout.toSeconds() < 1 || timeout.toSeconds() > MAX_TIMEOUT_SECONDS) {
            throw new IllegalArgumentException("timeout=" + timeout.toSeconds() + ": give 1 to "
                    + MAX_TIMEOUT_SECONDS + " seconds");
        }
    }

    String describe() {
        return "patches=" + directory + ",watch=true,interval=" + interval.toSeconds() + ",timeout="
                + timeout.toSeconds();
    }
}
