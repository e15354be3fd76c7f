package io.jlivepatch.agent;

import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The agent's option string: comma-separated {@code key=value} pairs.
 *
 * @param patchDirectory {@code patches=<dir>}, or {@code null}
 */
record AgentArguments(Path patchDirectory) {

    static AgentArguments parse(String args) {
        Path patches = null;
        if (args == null || args.isBlank()) {
            return new AgentArguments(null);
        }
        for (String pair : args.split(",")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair.trim() : pair.substring(0, eq).trim();
            String value = eq < 0 ? "" : pair.substring(eq + 1).trim();
            if (key.equals("patches") && !value.isEmpty()) {
                patches = Paths.get(value);
            } else {
                throw new IllegalArgumentException("unknown option '" + pair + "': the agent takes patches=<dir>");
            }
        }
        return new AgentArguments(patches);
    }
}
