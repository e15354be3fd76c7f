package io.jlivepatch.agent.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code --timeout <seconds>}, shared by every command that talks to a target JVM. */
final class TimeoutOption {

    static final long MAX_SECONDS = 24 * 60 * 60;

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    private long seconds = 30;

    @Option(names = "--timeout", paramLabel = "<seconds>", defaultValue = "30",
            description = "how long the target JVM may take to answer: attaching and connecting, then each call"
                    + " (default: ${DEFAULT-VALUE})")
    void setSeconds(long seconds) {
        if (seconds < 1 || seconds > MAX_SECONDS) {
            throw new ParameterException(spec.commandLine(), "--timeout must be between 1 and " + MAX_SECONDS
                    + " seconds, not " + seconds);
        }
        this.seconds = seconds;
    }

    long seconds() {
        return seconds;
    }
}
