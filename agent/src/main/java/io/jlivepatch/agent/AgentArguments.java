package io.jlivepatch.agent;

import io.jlivepatch.internal.jar.JarLimits;

import java.nio.file.Path;
import java.nio.file.Paths;

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
 */
record AgentArguments(Path patchDirectory, JarLimits jarLimits, Path truststore, String truststorePassword,
                      Path auditFile) {

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
        if (args == null || args.isBlank()) {
            return new AgentArguments(null, limits, null, null, null);
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
            } else if (JarLimits.OPTIONS.contains(key)) {
                limits = limits.with(key, value);
            } else {
                throw new IllegalArgumentException("unknown option '" + pair + "': the agent takes patches=<dir>,"
                        + " truststore=<file>, truststore-password=<password>, audit=<file> and"
                        + " the patch JAR limits " + String.join("=<n>, ", JarLimits.OPTIONS) + "=<n>");
            }
        }
        return new AgentArguments(patches, limits, truststore, truststorePassword, audit);
    }
}
