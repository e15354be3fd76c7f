package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;

/**
 * A misspelt option, said as such: picocli, for a misspelt option that takes a value ({@code load --wiat 5
 * 4242 fix.jar}), took the value for the pid and the pid for the JAR, and called the JAR an unknown option
 * too ({@code Unknown options: '--wiat', 'fix.jar'}), with no suggestion for a transposition, and the whole
 * usage. Here: the unknown options alone, the nearest option of the command, and where its options are listed.
 */
final class UnknownOptions {

    private UnknownOptions() {
    }

    static int handle(CommandLine.ParameterException e, String[] args, CommandLine.IParameterExceptionHandler others)
            throws Exception {
        if (!(e instanceof CommandLine.UnmatchedArgumentException)) {
            return others.handleParseException(e, args);
        }
        List<String> unknown = new ArrayList<>();
        for (String a : ((CommandLine.UnmatchedArgumentException) e).getUnmatched()) {
            if (a.startsWith("-") && a.length() > 1 && !a.matches("-[0-9]+")) {
                unknown.add(a);
            }
        }
        if (unknown.isEmpty()) {
            return others.handleParseException(e, args); // stray arguments, or a misspelt command: picocli says which
        }
        CommandLine cmd = e.getCommandLine();
        String command = cmd.getCommandSpec().qualifiedName();
        StringBuilder said = new StringBuilder("jlivepatch: unknown option").append(unknown.size() > 1 ? "s " : " ");
        for (int i = 0; i < unknown.size(); i++) {
            said.append(i > 0 ? ", " : "").append('\'').append(Text.clean(unknown.get(i))).append('\'');
        }
        said.append(" for '").append(command).append('\'');
        String first = unknown.get(0);
        String nearest = nearest(first.contains("=") ? first.substring(0, first.indexOf('=')) : first,
                cmd.getCommandSpec().optionsMap().keySet());
        if (nearest != null) {
            said.append(" (did you mean ").append(nearest).append("?)");
        }
        cmd.getErr().println(said.append(": '").append(command).append(" --help' lists its options"));
        return Main.USAGE;
    }

    /** The option of {@code names} nearest to {@code typed} (dashes aside), within two edits; null when none is. */
    static String nearest(String typed, Iterable<String> names) {
        String bare = typed.replaceFirst("^-+", "");
        String best = null;
        int least = 3;
        for (String name : names) {
            if (!name.startsWith("--")) {
                continue; // -h, -V: any two letters are two edits apart
            }
            int d = distance(bare, name.substring(2));
            if (d < least && d < Math.max(2, bare.length() / 2 + 1)) {
                least = d;
                best = name;
            }
        }
        return best;
    }

    /** Edits from {@code a} to {@code b}: a letter inserted, deleted, changed, or two adjacent swapped. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
