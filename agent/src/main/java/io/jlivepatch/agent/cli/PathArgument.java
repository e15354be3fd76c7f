package io.jlivepatch.agent.cli;

import picocli.CommandLine;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * A path argument of any command. An empty argument (an unset variable's) is refused as a usage
 * error, not taken as the working directory. A name the JVM's file-name encoding cannot represent (a non-ASCII
 * name under LANG=C, where that encoding is ASCII) is refused saying so and what to do; picocli's
 * own conversion said only "Malformed input or input contains unmappable characters" and printed the
 * whole usage after it (hostile trial).
 */
final class PathArgument implements CommandLine.ITypeConverter<Path> {

    @Override
    public Path convert(String value) {
        if (value.isEmpty()) {
            // Path.of("") is the working directory: "load 4242 $JAR" with JAR unset was refused as
            // "patch JAR /home/ops: is a directory", a path the operator never typed.
            throw new Unusable("an empty argument is not a path: give the file's or directory's path (a shell"
                    + " variable that is not set expands to an empty one)");
        }
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            String encoding = System.getProperty("sun.jnu.encoding");
            throw new Unusable("'" + value + "' cannot be used as a file name here: " + e.getReason() + (encodes(
                    encoding, value) ? "" : ". This JVM names files in " + encoding + " (from the locale: LANG, LC_ALL);"
                    + " run the command in a UTF-8 locale (LANG=C.UTF-8), or use a path of ASCII characters (a"
                    + " symbolic link to the file)"));
        }
    }

    /** Whether {@code encoding} (null: unknown) can represent {@code value}; true when that cannot be told. */
    private static boolean encodes(String encoding, String value) {
        try {
            return encoding == null || java.nio.charset.Charset.forName(encoding).newEncoder().canEncode(value);
        } catch (RuntimeException e) {
            return true; // an encoding this JVM does not know by name: say nothing about it
        }
    }

    /** A path refused by {@link #convert}: said alone, without the usage text, which cannot help. */
    static final class Unusable extends CommandLine.TypeConversionException {
        private static final long serialVersionUID = 1L;

        Unusable(String message) {
            super(message);
        }
    }

    /**
     * picocli's handling of a malformed command line, but for an unusable path, which gets its
     * reason and a pointer to the help instead of the whole usage.
     */
    static int handle(CommandLine.ParameterException e, String[] args, CommandLine.IParameterExceptionHandler others)
            throws Exception {
        if (e.getCause() instanceof Unusable) {
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println("jlivepatch: " + e.getMessage());
            // the same pointer as every other usage error's (UsageErrors)
            cmd.getErr().println("('" + cmd.getCommandSpec().qualifiedName() + " --help' lists its options)");
            return Main.USAGE;
        }
        return others.handleParseException(e, args);
    }
}
