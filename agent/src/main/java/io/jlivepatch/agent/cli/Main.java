package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * {@code java -jar jlivepatch-agent.jar <command>}: kpatch's load/unload/list over the attach API.
 * Exit codes: 0 done, 1 refused (the reason printed, the target unchanged), 2 usage error, 3 the
 * state changed but its transition had not ended in time (the threads holding it printed), 4 the
 * target stopped answering after a change had reached it (it may have changed), 5 enabled but some of
 * the patch's functions FAILED.
 */
@Command(name = "jlivepatch", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Live patching for running JVMs: load, inspect and remove patches.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:done", "1:refused: nothing changed in the target (the reason is printed)",
                "2:usage error",
                "3:the patch's state changed, but its transition had not ended within --wait (load, enable, disable,"
                + " unload): what holds it is printed (the threads, with the force command, or a closing callback,"
                + " which force cannot end)",
                Main.UNKNOWN_EXIT, Main.FAILED_EXIT},
        subcommands = {ListCommand.class, LoadCommand.class, StatusCommand.class, EnableCommand.class,
                DisableCommand.class, UnregisterCommand.class, UnloadCommand.class, ForceCommand.class,
                BuildCommand.class, InspectCommand.class, InstallCommand.class, UninstallCommand.class, WatchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    static final int DONE = 0;
    static final int REFUSED = 1;
    static final int USAGE = 2;
    static final int TRANSITION_RUNNING = 3;
    static final int OUTCOME_UNKNOWN = 4;
    /**
     * {@code load} or {@code enable} done, but a function of the patch is FAILED once the transition
     * ended: the patch is enabled and its fix runs nowhere there, which a script that checks only for
     * failure (0 against the rest) must not read as live.
     */
    static final int FUNCTIONS_FAILED = 5;
    /** Exit code 5 in the help of the commands that enable. */
    static final String FAILED_EXIT = "5:enabled, patching complete, but some of the patch's functions FAILED or are"
            + " not patched (their lines printed): there the method runs the version below the patch, or its own code";
    /** Exit code 4 in every changing command's help. */
    static final String UNKNOWN_EXIT = "4:unknown outcome: the target stopped answering (timed out, closed the"
            + " connection) after a change of this command had reached it, so it may have changed: run status"
            + " before anything else";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The longest refusal printed: a message may quote a megabyte of input. */
    static final int MAX_MESSAGE = 4000;

    public static void main(String[] args) {
        JdkTimeouts.ownJvm();
        // System.exit, not a return: a daemon thread may still be stuck reading from a target that
        // stopped answering, and the command has said so already.
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs one command; for tests and embedding. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        PrintWriter cleanOut = new RootLocaleWriter(new CleanWriter(out));
        PrintWriter cleanErr = new RootLocaleWriter(new CleanWriter(err));
        CommandLine cli;
        try {
            cli = new CommandLine(new Main());
        } catch (NoClassDefFoundError e) {
            if (ModuleLayer.boot().findModule("jdk.attach").isPresent()) {
                throw e;
            }
            // The commands' classes name the attach API's types: without its module, picocli's look at
            // them died with a NoClassDefFoundError and its stack trace (hostile trial: a jlink'ed image).
            cleanErr.println("jlivepatch: refused: this Java runtime (" + System.getProperty("java.home") + ") has no"
                    + " jdk.attach module (a jlink'ed image, or --limit-modules): run jlivepatch with a full JDK; the"
                    + " JVMs it patches need only java.instrument");
            return REFUSED;
        }
        cli.registerConverter(java.nio.file.Path.class, new PathArgument());
        cli.setParameterExceptionHandler((e, arguments) -> PathArgument.handle(e, arguments,
                (e2, arguments2) -> UnknownOptions.handle(e2, arguments2, UsageErrors::handle)));
        cli.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        cli.setOut(cleanOut);
        cli.setErr(cleanErr);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof ControlChannel.OutcomeUnknown) {
                commandLine.getErr().println("jlivepatch: unknown outcome: " + oneLine(e.getMessage()));
                return OUTCOME_UNKNOWN;
            }
            if (e instanceof Refused || e instanceof Deadline.NoAnswer) {
                commandLine.getErr().println("jlivepatch: refused: " + oneLine(e.getMessage()));
            } else {
                commandLine.getErr().println("jlivepatch: failed: " + oneLine(String.valueOf(e)));
            }
            return REFUSED;
        });
        int code = cli.execute(args);
        cleanOut.flush();
        cleanErr.flush();
        return code;
    }

    /**
     * A refusal's or failure's message, cut, as the one line it is: a line end a message still holds
     * (an entry name of a JAR given to build, quoted in a local error) is written as {@code \n} or
     * {@code \r}, as CleanWriter writes every other control character, which keeps line ends, so
     * that no name can print a line of its own. Text cleaned where the message was made holds no line
     * end, and passes unchanged.
     */
    static String oneLine(String message) {
        String m = Text.truncate(message, MAX_MESSAGE);
        return m == null || (m.indexOf('\n') < 0 && m.indexOf('\r') < 0) ? m
                : m.replace("\r", "\\r").replace("\n", "\\n");
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: " + commands(spec)
                + " (jlivepatch --help)");
    }

    /** The subcommands' names but help's, in their order: "list, load, ... or watch". */
    static String commands(CommandLine.Model.CommandSpec spec) {
        java.util.List<String> names = new java.util.ArrayList<>();
        for (CommandLine sub : spec.subcommands().values()) {
            String name = sub.getCommandName();
            if (!name.equals("help") && !names.contains(name)) {
                names.add(name);
            }
        }
        int last = names.size() - 1;
        return last <= 0 ? String.join("", names)
                : String.join(", ", names.subList(0, last)) + " or " + names.get(last);
    }

    /** The version in the agent JAR's manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"jlivepatch " + (v == null ? "development" : v)};
        }
    }
}
