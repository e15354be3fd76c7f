package io.jlivepatch.agent.cli;

import io.jlivepatch.agent.AgentMain;
import io.jlivepatch.internal.Text;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The JAR a command asks a JVM to load as jlivepatch's agent (its own), and whether that JVM can
 * take it: each check stands for a refusal the JVM would make in words of its own, some of them in
 * the application's standard error or output, and that the command would report as something else.
 */
final class AgentJar {

    private AgentJar() {
    }

    /**
     * The JAR this command runs from, which is also the agent; {@code -Djlivepatch.agent.jar} overrides it.
     * Checked to be the agent before a JVM is asked to load it: a JVM refuses a JAR whose manifest names
     * no agent with a message of its own in the application's standard error, and the command would
     * report a JVM refusing agents.
     */
    static Path path() throws Refused {
        String override = System.getProperty("jlivepatch.agent.jar");
        Path p;
        if (override != null) {
            // this command's file: a relative path sent as it is would be the JVM's, in its working directory
            p = Paths.get(override).toAbsolutePath();
        } else {
            try {
                p = Paths.get(AgentMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            } catch (URISyntaxException e) {
                throw new Refused("cannot locate the jlivepatch agent JAR: " + e.getMessage(), e);
            }
            // a directory of classes (a build's, an IDE's); a JAR of any name is read below, as the JVM reads it
            if (Files.isDirectory(p)) {
                throw new Refused("jlivepatch runs from " + p + ", not from its agent JAR: run java -jar"
                        + " agent/target/jlivepatch-agent.jar");
            }
        }
        String notAgent = notTheAgent(p);
        if (notAgent != null) {
            throw new Refused((override != null ? "-Djlivepatch.agent.jar names " + Text.clean(override) + ", not"
                    + " jlivepatch's agent JAR" : "jlivepatch runs from " + p + ", not from its agent JAR") + " (" + notAgent
                    + "): run java -jar agent/target/jlivepatch-agent.jar");
        }
        return p;
    }

    /** Why {@code jar} is not jlivepatch's agent, as the JVM that loads it would see it, or null when it is. */
    static String notTheAgent(Path jar) {
        try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile())) {
            java.util.jar.Manifest manifest = file.getManifest();
            String agentClass = manifest == null ? null : manifest.getMainAttributes().getValue("Agent-Class");
            if (AgentMain.class.getName().equals(agentClass)) {
                return null;
            }
            return agentClass == null ? "its manifest names no Agent-Class" : "its manifest's Agent-Class is "
                    + Text.clean(agentClass) + ", not " + AgentMain.class.getName();
        } catch (IOException | SecurityException e) {
            return "it cannot be read: " + Text.clean(String.valueOf(e.getMessage()));
        }
    }

    /**
     * The bytes an attach takes in one argument (HotSpot's {@code arg_length_max}) in the attach protocol's
     * first version, which a JDK 17 JVM or command speaks: a JVM closes an attach whose argument is longer
     * (the attach API then says only "Premature EOF"), and a JDK 25 JVM also writes an error line into
     * the application's standard output. Both sides of JDK 25 speak the second version, which has no such bound.
     */
    static final int ATTACH_ARGUMENT_BYTES = 1024;

    /**
     * Why the attach that loads {@code agent} with {@code options} into a JVM of Java
     * {@code targetVersion} (its java.specification.version) would be closed, or null: its one argument
     * too long for the first version of the protocol, which is spoken unless both sides are JDK 25 or
     * later (the version before which is not known to have the second) and this command is not held to
     * the first ({@code jdk.attach.compat}, the JDK's switch for it).
     */
    static String tooLongForTheAttach(String agent, String options, String targetVersion) {
        // as VirtualMachine.loadAgent sends them: the path alone without options
        int bytes = (options.isEmpty() ? agent : agent + "=" + options).getBytes(StandardCharsets.UTF_8).length;
        boolean firstVersion = Runtime.version().feature() < 25 || Boolean.getBoolean("jdk.attach.compat")
                || featureOf(targetVersion) < 25;
        if (bytes <= ATTACH_ARGUMENT_BYTES || !firstVersion) {
            return null;
        }
        return "the agent JAR's path and its --agent-options are " + bytes + " bytes together, more than the "
                + ATTACH_ARGUMENT_BYTES + " an attach to that JVM takes; shorten the options (or the JAR's path), or"
                + " start the JVM with -javaagent:jlivepatch-agent.jar=<options>; nothing was loaded";
    }

    /** The first Java release whose JVM loads the agent's classes (class-file version 61). */
    static final int JAVA = 17;

    /**
     * Why a JVM of Java {@code specificationVersion} (its java.specification.version, "11", "1.8"), whose
     * java.version is {@code version}, cannot run the agent, or null (also when it did not say). The
     * attach works on Java 8 and 11, and the agent's classes, of Java 17's class-file version, would fail
     * to load there with an error in the application's standard error, which the command reported as
     * a JVM refusing agents.
     */
    static String tooOldFor(String specificationVersion, String version) {
        if (specificationVersion == null) {
            return null;
        }
        String spec = specificationVersion.trim();
        int feature;
        try {
            feature = spec.startsWith("1.") ? 1 : Integer.parseInt(spec); // 1.8 and older: Java 8 and older
        } catch (NumberFormatException e) {
            return null; // not a version: nothing known
        }
        if (feature >= JAVA) {
            return null;
        }
        return "it runs Java " + Text.clean(version != null ? version : spec) + ", and jlivepatch needs Java " + JAVA
                + " or later (an older JVM cannot load its classes): run the application on Java " + JAVA + " or later"
                + " to patch it with jlivepatch";
    }

    /**
     * Why a JVM cannot load the agent from {@code agent} dynamically, or null: it ends the path of an agent
     * to load at its first '=' (what follows is the agent's options, sun.instrument's {@code
     * jarfile[=options]}), and there is no way to quote one. Such a JVM opened the path up to the '=',
     * wrote "Error opening zip file or JAR manifest missing" into the application's standard error,
     * and the command reported a JVM refusing agents. A space, tab, newline, quote, ':' or non-ASCII
     * letter is carried as it is (tried on JDK 17 and 25, both attach protocol versions).
     */
    static String unloadableFrom(String agent) {
        if (agent.indexOf('=') < 0) {
            return null;
        }
        return "the agent JAR's path " + Text.clean(agent) + " has '=', where a JVM ends the path of an agent it is to"
                + " load (what follows would be the agent's options): copy or link jlivepatch-agent.jar to a path"
                + " without '=' and run that one, or name it with -Djlivepatch.agent.jar=<path>";
    }

    /**
     * Why the JVM {@code pid} would find no file at {@code agent}, the path the attach names, or null. A
     * JVM in a mount namespace of its own (a container's) resolves it in its own file system, seen here
     * through /proc/pid/root; it would refuse the path in words of its own, written into the
     * application's standard error. When that directory cannot be read, or the path cannot be looked up
     * in it (permission denied, a name too long), nothing is known and nothing said.
     */
    static String unseenBy(long pid, Path agent) {
        return unseenIn(Paths.get("/proc", Long.toString(pid), "root"), agent);
    }

    /** {@link #unseenBy}, of a JVM whose root is seen here as {@code root}. */
    static String unseenIn(Path root, Path agent) {
        Path absolute = agent.toAbsolutePath();
        if (!Files.isDirectory(root)) {
            return null;
        }
        // its links followed in its file system (an absolute one through root would lead to this command's)
        Path there = InRoot.resolve(root, root, absolute.toString());
        // Files.exists is false also when the lookup fails (a directory of the JVM's user this command
        // may not search): only a file known to be absent is said to be
        if (there == null || !Files.notExists(there)) {
            return null; // there, or links that loop or a lookup that fails: nothing known
        }
        return "the JVM has no file " + absolute + ", the path it is to load the agent from (its file system is not"
                + " this command's: a container's, say)";
    }

    /** The feature release of a java.specification.version ("17", "1.8"), or 0 when it is none. */
    private static int featureOf(String specificationVersion) {
        try {
            return Integer.parseInt(String.valueOf(specificationVersion).trim());
        } catch (NumberFormatException e) {
            return 0; // "1.8" and older, or absent: the first version
        }
    }
}
