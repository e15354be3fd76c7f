package io.jlivepatch.agent.cli;

import java.io.Writer;
import java.util.Locale;

/**
 * The command's standard output and error: {@code printf} formats in the root locale, not the default one. Under
 * ar-EG or th-TH-u-nu-thai the default wrote {@code %d} in that script's digits, so {@code 'fix': registered in pid
 * ٤٨١١ (not enabled)} stood next to lines built by concatenation ({@code enabled in pid 4811}), and a command it
 * offers to run next ({@code 'jlivepatch force <pid> fix'}, {@code 'jcmd <pid> Thread.print'}) named the pid so
 * too. What the command prints is read by scripts as much as by people (README's lines), so it is the same under
 * every locale; jlivepatch's log lines in a target stay in its locale.
 */
final class RootLocaleWriter extends java.io.PrintWriter {

    RootLocaleWriter(Writer out) {
        super(out, true);
    }

    /** {@code printf(format, args)} comes here too. */
    @Override
    public RootLocaleWriter format(String format, Object... args) {
        super.format(Locale.ROOT, format, args);
        return this;
    }
}
