package io.jlivepatch.agent.cli;

import picocli.CommandLine.Parameters;

/** The target JVM's pid, the first parameter of most commands. */
final class PidOption {

    @Parameters(index = "0", paramLabel = "<pid>", description = "pid of the target JVM ('jlivepatch list')")
    long pid;
}
