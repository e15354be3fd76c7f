package io.jlivepatch.agent;

import io.jlivepatch.internal.jar.JarLimits;

import io.jlivepatch.internal.watch.WatchOptions;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;

/**
 * The agent's option string: comma-separated {@code key=value} pairs.
 *
 * @param patchDirectory     {@code patches=<dir>}, or {@code null}
 * @param jarLimits          the limits patch JARs are read under: the {@code max-...} options (see
 *                           {@link JarLimits}) applied to the limits in force before
 * @param truststore         {@code truststore=<file>}: every patch JAR must be signed by one of its
 *                           certificates, or {@code null}
 * @param truststorePassword {@code truststore-password=<password>}, or {@code null}
 * @param auditFile          {@code audit=<file>}: each audit record appended as a JSON line, or {@code null}
 * @param watch              {@code watch=true} (with {@code interval=<s>}, {@code timeout=<s>}): the patch
 *                           directory is the desired stack, reconciled on every change; else {@code null}
 */
record AgentArguments(Path patchDirectory, JarLimits jarLimits, Path truststore, String truststorePassword,
                      Path auditFile, WatchOptions watch) {

    /**
     * Whether {@code args} give an option whose name holds {@code truststore} (any case): arguments
     * that do not parse then fail closed (a misspelt {@code truststore-password}, {@code ssl-truststore}
     * included), while a path that merely contains the word ({@code patches=/srv/truststore-fixes})
     * does not count.
     */
    static boolean nameATrustStore(String args) {
        for (String[] option : options(args)) {
            if (option[0].toLowerCase(java.util.Locale.ROOT).contains("truststore")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The {@code audit=} file of {@code args} that did not parse as a whole, or {@code null}: the first
     * one, as {@link #parse} would take it.
     */
    static Path auditFileOf(String args) {
        for (String[] option : options(args)) {
            if (option[0].equals("audit") && !option[1].isEmpty()) {
                try {
                    return Paths.get(option[1]);
                } catch (RuntimeException e) {
                    return null; // not a path: nothing to keep
                }
            }
        }
        return null;
    }

    private static boolean hasPassword(String[][] options) {
        for (String[] option : options) {
            if (option[0].equals("truststore-password")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The options of {@code args}, in order: each {@code {key, value}}, trimmed; a pair without
     * {@code =} has the empty value. One split for every reader, so that the fail-closed check, the
     * audit file kept from arguments that do not parse and the parse itself see the same keys.
     * Arrays, not a record: this runs at every start, and each class loaded there counts (FootprintIT).
     */
    private static String[][] options(String args) {
        if (args == null || args.isBlank()) {
            return new String[0][];
        }
        String[] pairs = args.split(",");
        String[][] options = new String[pairs.length][];
        for (int i = 0; i < pairs.length; i++) {
            int eq = pairs[i].indexOf('=');
            options[i] = eq < 0 ? new String[] {pairs[i].trim(), ""}
                    : new String[] {pairs[i].substring(0, eq).trim(), pairs[i].substring(eq + 1).trim()};
        }
        return options;
    }

    static AgentArguments parse(String args) {
        return parse(args, JarLimits.current());
    }

    /**
     * @param limits the limits in force: an option changes one of them, and an attach without
     *               options keeps those set at start-up
     * @throws IllegalArgumentException for an unknown option or a bad value
     */
    static AgentArguments parse(String args, JarLimits limits) {
        Path patches = null;
        Path truststore = null;
        String truststorePassword = null;
        Path audit = null;
        boolean watch = false;
        Long interval = null;
        Long timeout = null;
        String[][] options = options(args);
        if (options.length == 0) {
            return new AgentArguments(null, limits, null, null, null, null);
        }
        for (int i = 0; i < options.length; i++) {
            String key = options[i][0];
            String value = options[i][1];
            if (key.equals("patches") && !value.isEmpty()) {
                patches = path(key, value);
            } else if (key.equals("truststore") && !value.isEmpty()) {
                truststore = path(key, value);
            } else if (key.equals("truststore-password")) {
                truststorePassword = value;
            } else if (key.equals("audit") && !value.isEmpty()) {
                audit = path(key, value);
            } else if (key.equals("watch")) {
                if (!value.equals("true") && !value.equals("false")) {
                    throw new IllegalArgumentException("watch=" + value + ": give watch=true or watch=false");
                }
                watch = value.equals("true");
            } else if (key.equals("interval")) {
                interval = seconds(key + "=" + value, value);
            } else if (key.equals("timeout")) {
                timeout = seconds(key + "=" + value, value);
            } else if (JarLimits.OPTIONS.contains(key)) {
                limits = limits.with(key, value);
            } else if ((key.equals("patches") || key.equals("truststore") || key.equals("audit"))
                    && !hasPassword(options)) {
                // Known, but empty: what jcmd's JVMTI.agent_load passes of truststore=<file> unquoted (its
                // parser keeps an argument up to its '=' only), which "unknown option" would leave unexplained.
                // Not with a truststore-password: the key may be its end after a comma, named by no message.
                throw new IllegalArgumentException("option '" + key + "' has no value: give " + key + "="
                        + (key.equals("patches") ? "<dir>" : "<file>") + " (jcmd <pid> JVMTI.agent_load passes only"
                        + " the part before '=' of options not in double quotes: jcmd <pid> JVMTI.agent_load"
                        + " <jlivepatch-agent.jar> '\"" + key + "=...\"')");
            } else {
                // The key only: a misspelt truststore-password's value is a secret, and this message is
                // logged and kept in a system property.
                throw new IllegalArgumentException("unknown option " + (hasPassword(options) ? "number " + (i + 1)
                        + " (not named: the arguments hold a truststore-password, and a password with a comma would"
                        + " show its end here)" : "'" + key + "'") + ": the agent takes patches=<dir>,"
                        + " watch=true, interval=<seconds>, timeout=<seconds>, truststore=<file>,"
                        + " truststore-password=<password>, audit=<file> and"
                        + " the patch JAR limits " + String.join("=<n>, ", JarLimits.OPTIONS) + "=<n>");
            }
        }
        WatchOptions watching = null;
        if (watch) {
            if (patches == null) {
                throw new IllegalArgumentException("watch=true watches the patch directory: give patches=<dir> too");
            }
            // Absolute and normalised, as 'jlivepatch watch' gives it: the same directory is the same options.
            watching = new WatchOptions(patches.toAbsolutePath().normalize(),
                    interval == null ? WatchOptions.DEFAULT_INTERVAL : Duration.ofSeconds(interval),
                    timeout == null ? WatchOptions.DEFAULT_TIMEOUT : Duration.ofSeconds(timeout));
        } else if (interval != null || timeout != null) {
            throw new IllegalArgumentException((interval != null ? "interval=" : "timeout=") + " applies to a watched"
                    + " patch directory: add watch=true (and patches=<dir>)");
        }
        return new AgentArguments(patches, limits, truststore, truststorePassword, audit, watching);
    }

    /**
     * {@code value} as a path; one this JVM's file name encoding cannot represent (a UTF-8 name under
     * {@code LANG=C}) is refused saying so, not as a bare "Malformed input or input contains
     * unmappable characters".
     */
    private static Path path(String key, String value) {
        try {
            return Paths.get(value);
        } catch (java.nio.file.InvalidPathException e) {
            throw new IllegalArgumentException(key + "=<path>: this JVM cannot use the path (" + e.getReason() + "):"
                    + " its file name encoding is " + System.getProperty("sun.jnu.encoding") + "; start it under a"
                    + " UTF-8 locale (LANG=C.UTF-8) or give a path of ASCII characters");
        }
    }

    private static long seconds(String pair, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + pair + "': give a whole number of seconds");
        }
    }
}
