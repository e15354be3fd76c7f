package io.jlivepatch.agent.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code --wait <seconds>}: how long a command that starts a transition waits for it to end. Apart
 * from {@code --timeout}, which bounds how long the target may take to answer: a transition held by
 * a busy thread is no fault of the target's, and is followed with {@code status}, not retried.
 * Absent, it is the {@code --timeout}, as before the two were told apart.
 */
final class WaitOption {

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    private Long seconds;

    @Option(names = "--wait", paramLabel = "<seconds>",
            description = "how long to wait for the transition to end (default: the --timeout)")
    void setSeconds(long seconds) {
        this.seconds = checked(spec, seconds);
    }

    /** {@code seconds}, when a {@code --wait} may be that long; for a command that words its own option. */
    static long checked(CommandSpec spec, long seconds) {
        if (seconds < 0 || seconds > TimeoutOption.MAX_SECONDS) {
            throw new ParameterException(spec.commandLine(), "--wait must be between 0 and " + TimeoutOption.MAX_SECONDS
                    + " seconds, not " + seconds);
        }
        return seconds;
    }

    long seconds(TimeoutOption timeout) {
        return seconds != null ? seconds : timeout.seconds();
    }
}
