package io.jlivepatch.agent.cli;

import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * Every usage error that {@link PathArgument} and {@link UnknownOptions} leave: its message in a line of
 * its own and where the command's options are listed, exit 2. picocli printed the whole help after the
 * message (63 lines for {@code build}), which pushed the one line that said what was wrong off the screen.
 */
final class UsageErrors {

    private UsageErrors() {
    }

    static int handle(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        // picocli's words for a newcomer: "Error: " before an option group's message, Java's type names
        // for a number that did not convert ("'abc' is not a long"), an option given twice that "should be
        // specified only once", and an argument too many, or a misspelt command, as "Unmatched argument at
        // index 2", which counts from the command's own name
        String message = Main.oneLine(e.getMessage()).replaceFirst("^Error: ", "")
                .replaceFirst("' is not an? (long|int|integer)$", "' is not a whole number" + unit(e))
                .replaceFirst("^option ('[^']*')(?: \\([^)]*\\))? should be specified only once$",
                        "option $1 is given twice: give it once")
                .replaceFirst("^Unmatched arguments? (?:at|from) index \\d+: ", "more arguments than '"
                        + cmd.getCommandSpec().qualifiedName() + "' takes: ");
        if (cmd.getParent() == null && e instanceof CommandLine.UnmatchedArgumentException unmatched
                && !unmatched.getUnmatched().isEmpty()) {
            message = "unknown command '" + Main.oneLine(unmatched.getUnmatched().get(0)) + "'"; // not its arguments
        }
        err.println("jlivepatch: " + message);
        if (e instanceof CommandLine.UnmatchedArgumentException unmatched) {
            CommandLine.UnmatchedArgumentException.printSuggestions(unmatched, err); // a misspelt command: "Did you mean"
        }
        if (!message.contains("--help")) { // the bare command's message names jlivepatch --help itself
            err.println("('" + cmd.getCommandSpec().qualifiedName() + " --help' lists its "
                    + (cmd.getParent() == null ? "commands)" : "options)"));
        }
        err.flush();
        return Main.USAGE;
    }

    /** " of seconds" for an option counted in seconds (--timeout, --wait), whose "1h" or "30s" is not taken. */
    private static String unit(CommandLine.ParameterException e) {
        return e.getArgSpec() != null && "<seconds>".equals(e.getArgSpec().paramLabel()) ? " of seconds" : "";
    }
}
