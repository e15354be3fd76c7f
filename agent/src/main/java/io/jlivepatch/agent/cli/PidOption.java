package io.jlivepatch.agent.cli;

import picocli.CommandLine;
import picocli.CommandLine.Parameters;

/** The target JVM's pid, the first parameter of most commands. */
final class PidOption {

    @Parameters(index = "0", paramLabel = "<pid>", description = "pid of the target JVM ('jlivepatch list')",
            converter = Positive.class)
    long pid;

    /**
     * A pid is a positive number: 0 or a negative one is a usage error (exit 2), said as such, not
     * looked for as a process ("no process with pid -5", exit 1, read as a JVM that went away).
     */
    static final class Positive implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            long pid;
            try {
                pid = Long.parseLong(value);
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a pid (a number; 'jlivepatch"
                        + " list' shows the JVMs' pids)");
            }
            if (pid <= 0) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a pid (pids are positive;"
                        + " 'jlivepatch list' shows the JVMs' pids)");
            }
            return pid;
        }
    }
}
