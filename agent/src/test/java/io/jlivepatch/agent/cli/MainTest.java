package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {

    /** The bare command names every command, watch too, from picocli's list of subcommands. */
    @Test
    void theBareCommandNamesEveryCommand() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err));
        assertEquals(Main.USAGE, code, err.toString());
        assertTrue(err.toString().contains("name a command: list, load, status, enable, disable, unregister, unload,"
                + " force, build, inspect, install, uninstall or watch (jlivepatch --help)"), err.toString());
    }

    /** 0 or a negative pid is a usage error that says so, not a process looked for ("no process with pid -5", exit 1). */
    @Test
    void aPidThatIsNotPositiveIsAUsageError() {
        for (String pid : new String[] {"0", "-5", "12x"}) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.run(new PrintWriter(out), new PrintWriter(err), "status", pid);
            assertEquals(Main.USAGE, code, pid + ": " + err);
            assertTrue(err.toString().contains("'" + pid + "' is not a pid ("), pid + ": " + err);
            assertFalse(err.toString().contains("no process with pid"), pid + ": " + err);
        }
    }

    /**
     * A misspelt option is named alone, with the command's nearest option and where its options are
     * listed: picocli took the value of a misspelt option that takes one for the pid, the pid for the
     * JAR, and called the JAR an unknown option too ("Unknown options: '--wiat', 'fix.jar'"), with no
     * suggestion for two swapped letters, and printed the whole usage.
     */
    @Test
    void aMisspeltOptionIsNamedWithTheNearestOne() {
        String[][] cases = {
            {"load --wiat 5 4242 fix.jar", "unknown option '--wiat' for 'jlivepatch load' (did you mean --wait?)"},
            {"unload --timout 5 4242 fix", "unknown option '--timout' for 'jlivepatch unload' (did you mean --timeout?)"},
            {"status 4242 --jsno", "unknown option '--jsno' for 'jlivepatch status' (did you mean --json?)"},
            {"load --requireloaded 4242 fix.jar", "unknown option '--requireloaded' for 'jlivepatch load' (did you mean"
                    + " --require-loaded?)"},
            {"status -json 4242", "unknown option '-json' for 'jlivepatch status' (did you mean --json?)"},
            {"status --frobnicate 4242", "unknown option '--frobnicate' for 'jlivepatch status':"},
        };
        for (String[] c : cases) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.run(new PrintWriter(out), new PrintWriter(err), c[0].split(" "));
            String command = c[0].substring(0, c[0].indexOf(' '));
            assertEquals(Main.USAGE, code, c[0] + ": " + err);
            assertTrue(err.toString().startsWith("jlivepatch: " + c[1]) && err.toString().trim().endsWith(
                    "'jlivepatch " + command + " --help' lists its options"), c[0] + ": " + err);
            assertFalse(err.toString().contains("fix.jar") || err.toString().contains("Usage:"), c[0] + ": " + err);
        }
    }

    /**
     * Every other usage error (a parameter missing, one too many, a value that does not convert, a
     * check of the command's own) is said in a line of its own with where the command's options are
     * listed: picocli printed the whole help after it, 63 lines for build, which pushed the one line
     * that said what was wrong off the screen.
     */
    @Test
    void aUsageErrorIsSaidWithoutTheWholeHelp() {
        String[][] cases = {
            {"load", "Missing required parameters: '<pid>', '<patch.jar>'", "jlivepatch load"},
            {"status 4242 4243", "more arguments than 'jlivepatch status' takes: '4243'", "jlivepatch status"},
            {"list --json extra more", "more arguments than 'jlivepatch list' takes: 'extra', 'more'", "jlivepatch list"},
            {"status 4242 --timeout 5 --timeout 6", "option '--timeout' is given twice: give it once",
                    "jlivepatch status"},
            {"list --json --json", "option '--json' is given twice: give it once", "jlivepatch list"},
            {"list --timeout abc", "Invalid value for option '--timeout': 'abc' is not a whole number", "jlivepatch list"},
            {"inspect --storepass-env A --storepass-file b x.jar", "jlivepatch: --storepass-env=<VAR>, --storepass-file"
                    + "=<file> are mutually exclusive", "jlivepatch inspect"},
            {"list --timeout 0", "--timeout must be between 1 and 86400 seconds, not 0", "jlivepatch list"},
            {"status 4242 --timeout 1h", "Invalid value for option '--timeout': '1h' is not a whole number of seconds",
                    "jlivepatch status"},
            {"load --wait 30s 4242 fix.jar", "Invalid value for option '--wait': '30s' is not a whole number of"
                    + " seconds", "jlivepatch load"},
            {"build --old /nonexistent-old", "--name and -o are required unless --dry-run is given", "jlivepatch build"},
        };
        for (String[] c : cases) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.run(new PrintWriter(out), new PrintWriter(err), c[0].split(" "));
            String text = err.toString();
            assertEquals(Main.USAGE, code, c[0] + ": " + text);
            assertTrue(text.startsWith("jlivepatch: ") && text.contains(c[1]), c[0] + ": " + text);
            assertTrue(text.trim().endsWith("('" + c[2] + " --help' lists its options)"), c[0] + ": " + text);
            assertFalse(text.contains("Usage:"), c[0] + ": " + text);
            assertEquals(2, text.trim().split("\n").length, c[0] + ": " + text);
            assertEquals("", out.toString(), c[0]);
        }
    }

    /**
     * Every help breaks its lines between words: picocli wraps at any place a line may break, also
     * after a dot, a hyphen, a slash or an equals sign inside a name, and printed {@code trust.} /
     * {@code p12}, {@code e.} / {@code g. 1:2}, {@code com.} / {@code acme.Worker.process(...)} and
     * {@code jlivepatch-agent.} / {@code jar=patches=<dir>}, which read as two names.
     */
    @Test
    void everyHelpBreaksItsLinesBetweenWords() {
        java.util.List<String> commands = new java.util.ArrayList<>(java.util.List.of("")); // "": jlivepatch --help
        commands.addAll(java.util.List.of(Main.commands(new picocli.CommandLine(new Main()).getCommandSpec())
                .replace(" or ", ", ").split(", ")));
        java.util.regex.Pattern cut = java.util.regex.Pattern.compile("[A-Za-z0-9][-./=]\\n( {8,})?[a-z0-9]");
        for (String command : commands) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = command.isEmpty() ? Main.run(new PrintWriter(out), new PrintWriter(err), "--help")
                    : Main.run(new PrintWriter(out), new PrintWriter(err), command, "--help");
            assertEquals(Main.DONE, code, command + ": " + err);
            String help = out.toString().replace("\r\n", "\n");
            java.util.regex.Matcher m = cut.matcher(help);
            assertFalse(m.find(), () -> "'jlivepatch " + command + " --help' breaks a line inside a word: "
                    + help.substring(Math.max(0, m.start() - 60), Math.min(help.length(), m.end() + 30)));
        }
    }

    /**
     * An option's description keeps one column: the lines picocli wraps are indented two more than the
     * description's first, and so must a line the description breaks itself (%n), which picocli does not
     * indent: build's --hold example stood two columns left of the text above it.
     */
    @Test
    void everyOptionsDescriptionKeepsItsColumn() {
        java.util.List<String> commands = new java.util.ArrayList<>(java.util.List.of(""));
        commands.addAll(java.util.List.of(Main.commands(new picocli.CommandLine(new Main()).getCommandSpec())
                .replace(" or ", ", ").split(", ")));
        // an option at its column (2, or 6 without a short name), not a wrapped line that starts with --
        java.util.regex.Pattern option = java.util.regex.Pattern.compile("^ {2,6}(-\\w, )?--?\\S+( +(\\S.*))?$");
        for (String command : commands) {
            StringWriter out = new StringWriter();
            int code = command.isEmpty() ? Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "--help")
                    : Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), command, "--help");
            assertEquals(Main.DONE, code, command);
            int continued = -1; // the column of the option's wrapped lines; -1 outside an option, 0 not known yet
            for (String line : out.toString().replace("\r\n", "\n").split("\n")) {
                java.util.regex.Matcher m = option.matcher(line);
                int indent = line.length() - line.stripLeading().length();
                if (m.matches()) {
                    continued = m.group(3) == null ? 0 : m.start(3) + 2; // the text beside the option, or below it
                } else if (line.isBlank() || indent == 0) {
                    continued = -1;
                } else if (continued == 0) {
                    continued = indent + 2; // the description's first line, below a long option
                } else if (continued > 0) {
                    assertEquals(continued, indent, "'jlivepatch " + command + " --help': a line of an option's"
                            + " description out of its column: '" + line + "'");
                }
            }
        }
    }

    /**
     * An empty path argument (an unset variable's: "load 4242 $JAR") is a usage error naming the argument:
     * it was taken as the working directory, and refused as "patch JAR /home/ops: is a directory", or for
     * install as "install ops with --as <name.jar>", paths the operator never typed.
     */
    @Test
    void anEmptyPathIsAUsageErrorNotTheWorkingDirectory() {
        String[][] cases = {
            {"load", "1", ""}, {"inspect", ""}, {"install", "", "/tmp"}, {"watch", "1", ""},
            {"build", "--old", "", "--new", "x", "--name", "fix", "-o", "fix.jar"},
        };
        for (String[] c : cases) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.run(new PrintWriter(out), new PrintWriter(err), c);
            assertEquals(Main.USAGE, code, String.join(" ", c) + ": " + err);
            java.util.List<String> lines = err.toString().lines().toList();
            assertEquals(2, lines.size(), err.toString());
            assertTrue(lines.get(0).startsWith("jlivepatch: Invalid value for ") && lines.get(0).endsWith(": an empty"
                    + " argument is not a path: give the file's or directory's path (a shell variable that is not set"
                    + " expands to an empty one)"), err.toString());
            assertEquals("('jlivepatch " + c[0] + " --help' lists its options)", lines.get(1));
            assertEquals("", out.toString());
        }
    }

    /** A misspelt command is an unknown command, with picocli's guesses: it was an "Unmatched argument at index 0". */
    @Test
    void aMisspeltCommandIsAnUnknownCommandWithTheNearestOnes() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(Main.USAGE, Main.run(new PrintWriter(out), new PrintWriter(err), "lod", "4242", "fix.jar"));
        assertEquals(java.util.List.of("jlivepatch: unknown command 'lod'",
                "Did you mean: jlivepatch load or jlivepatch unload?", "('jlivepatch --help' lists its commands)"),
                err.toString().lines().toList());
        assertEquals("", out.toString());
    }

    /** A path no file system takes (a NUL character): its reason, and no usage text. */
    @Test
    void aPathThatCannotBeAFileNameIsRefusedWithItsReason() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), "load", "1", "fix\u0000.jar");
        assertEquals(Main.USAGE, code, err.toString());
        assertTrue(err.toString().contains("cannot be used as a file name here: Nul character not allowed"), err.toString());
        assertTrue(err.toString().contains("('jlivepatch load --help' lists its options)"), err.toString());
        assertFalse(err.toString().contains("Usage:") || err.toString().contains("UTF-8 locale"), err.toString());
    }

    /**
     * Under LANG=C a non-ASCII path cannot be a file name of this JVM (its file-name encoding is
     * ASCII): the command says so and what to do, not "Malformed input" and the whole usage.
     */
    @Test
    void aPathTheLocaleCannotNameIsRefusedSayingWhatToDo() throws Exception {
        Path err = Files.createTempFile("jlivepatch-main", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "load", "1",
                    "/tmp/caf\u00e9/fix.jar").redirectError(err.toFile());
            pb.environment().keySet().removeIf(k -> k.startsWith("LC_"));
            pb.environment().put("LANG", "C");
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the command hangs");
            String text = Files.readString(err, StandardCharsets.UTF_8);
            assertEquals(Main.USAGE, p.exitValue(), text);
            assertTrue(text.contains("cannot be used as a file name here") && text.contains("run the command in a UTF-8"
                    + " locale (LANG=C.UTF-8)"), text);
            assertFalse(text.contains("Usage:"), text);
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /**
     * A JAR given to build whose entry name holds a line feed: the refusal quotes the name, and printed
     * it as two lines, the second one the name's to choose.
     */
    @Test
    void aRefusalQuotingANameWithALineFeedIsPrintedAsOneLine() throws Exception {
        Path jar = Files.createTempFile("jlivepatch-main", ".jar");
        try {
            try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(Files.newOutputStream(jar))) {
                z.putNextEntry(new java.util.zip.ZipEntry("a/B\njlivepatch: patch written: forged.jar\n.class"));
                z.write(new byte[] {(byte) 0xca, (byte) 0xfe, (byte) 0xba, (byte) 0xbe, 0, 0, 0x61, 0x62});
                z.closeEntry();
            }
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.run(new PrintWriter(out), new PrintWriter(err), "build", "--old", jar.toString(), "--new",
                    jar.toString(), "--name", "x", "-o", jar.resolveSibling(jar.getFileName() + ".out").toString());
            assertEquals(1, code, err.toString());
            assertEquals(1, err.toString().lines().count(), err.toString());
            assertTrue(err.toString().startsWith("jlivepatch: refused: cannot read the build "), err.toString());
            assertTrue(err.toString().contains("a/B\\njlivepatch: patch written: forged.jar\\n.class"), err.toString());
        } finally {
            Files.deleteIfExists(jar);
        }
    }
}
