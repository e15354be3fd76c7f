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
        if (args == null) {
            return false;
        }
        for (String pair : args.split(",")) {
            int eq = pair.indexOf('=');
            String key = (eq < 0 ? pair : pair.substring(0, eq)).trim();
            if (key.toLowerCase(java.util.Locale.ROOT).contains("truststore")) {
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
        if (args == null) {
            return null;
        }
        for (String pair : args.split(",")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).trim().equals("audit") && !pair.substring(eq + 1).trim().isEmpty()) {
                try {
                    return Paths.get(pair.substring(eq + 1).trim());
                } catch (RuntimeException e) {
                    return null; // not a path: nothing to keep
                }
            }
        }
        return null;
    }

    private static boolean hasPassword(String args) {
        for (String pair : args.split(",")) {
            int eq = pair.indexOf('=');
            if ((eq < 0 ? pair : pair.substring(0, eq)).trim().equals("truststore-password")) {
                return true;
            }
        }
        return false;
    }

    /** The 1-based place of {@code pair} among the arguments. */
    private static int position(String args, String pair) {
        String[] pairs = args.split(",");
        for (int i = 0; i < pairs.length; i++) {
            if (pairs[i] == pair || pairs[i].equals(pair)) {
                return i + 1;
            }
        }
        return 0;
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
        if (args == null || args.isBlank()) {
            return new AgentArguments(null, limits, null, null, null, null);
        }
        for (String pair : args.split(",")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair.trim() : pair.substring(0, eq).trim();
            String value = eq < 0 ? "" : pair.substring(eq + 1).trim();
            if (key.equals("patches") && !value.isEmpty()) {
                patches = Paths.get(value);
            } else if (key.equals("truststore") && !value.isEmpty()) {
                truststore = Paths.get(value);
            } else if (key.equals("truststore-password")) {
                truststorePassword = value;
            } else if (key.equals("audit") && !value.isEmpty()) {
                audit = Paths.get(value);
            } else if (key.equals("watch")) {
                if (!value.equals("true") && !value.equals("false")) {
                    throw new IllegalArgumentException("watch=" + value + ": give watch=true or watch=false");
                }
                watch = value.equals("true");
            } else if (key.equals("interval")) {
                interval = seconds(pair, value);
            } else if (key.equals("timeout")) {
                timeout = seconds(pair, value);
            } else if (JarLimits.OPTIONS.contains(key)) {
                limits = limits.with(key, value);
            } else {
                // The key only: a misspelt truststore-password's value is a secret, and this message is
                // logged and kept in a system property.
                throw new IllegalArgumentException("unknown option " + (hasPassword(args) ? "number " + position(args, pair)
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

    private static long seconds(String pair, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + pair + "': give a whole number of seconds");
        }
    }
}
