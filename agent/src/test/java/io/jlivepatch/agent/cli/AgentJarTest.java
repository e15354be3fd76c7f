package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JAR the command asks a JVM to load as the agent is checked to be jlivepatch's first: a JVM
 * refuses any other in words of its own, written into the application's standard error.
 */
class AgentJarTest {

    @TempDir
    Path dir;

    private Path jar(String name, String agentClass) throws IOException {
        Path jar = dir.resolve(name);
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (agentClass != null) {
            m.getMainAttributes().putValue("Agent-Class", agentClass);
        }
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(out, m)) {
            jos.flush();
        }
        return jar;
    }

    @Test
    void onlyAJarWhoseManifestNamesJlivepatchsAgentIsTheAgent() throws Exception {
        assertNull(AgentJar.notTheAgent(jar("agent.jar", "io.jlivepatch.agent.AgentMain")));
        assertEquals("its manifest names no Agent-Class", AgentJar.notTheAgent(jar("none.jar", null)));
        assertEquals("its manifest's Agent-Class is com.acme.Other, not io.jlivepatch.agent.AgentMain",
                AgentJar.notTheAgent(jar("other.jar", "com.acme.Other")));
        String missing = AgentJar.notTheAgent(dir.resolve("missing.jar"));
        assertTrue(missing.startsWith("it cannot be read: ") && missing.contains("missing.jar"), missing);
    }

    /** Read through /proc/pid/root: what a JVM in a file system of its own (a container's) sees at that path. */
    @Test
    void aPathTheJvmHasNoFileAtIsNamedWithWhereToPutTheJar() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/root")), "a /proc");
        long self = ProcessHandle.current().pid(); // its file system is this one
        assertNull(AgentJar.unseenBy(self, jar("agent.jar", "io.jlivepatch.agent.AgentMain")));
        Path elsewhere = dir.resolve("elsewhere").resolve("jlivepatch-agent.jar");
        assertEquals("the JVM has no file " + elsewhere + ", the path it is to load the agent from (its file system is"
                + " not this command's: a container's, say)", AgentJar.unseenBy(self, elsewhere));
        assertNull(AgentJar.unseenBy(Long.MAX_VALUE, elsewhere), "no such process: nothing known, nothing said");
    }

    /**
     * A JVM's absolute symbolic links are followed in its own file system, not this command's: a
     * container whose /opt links to /data (absolute) has the JAR at /opt/jlivepatch/agent.jar, and
     * /proc/pid/root/opt/... led the kernel to this command's /data, where there is none: refused, "the
     * JVM has no file", though the JVM loads it. {@code root} stands for /proc/pid/root (the kernel
     * follows an absolute link past either from this command's root).
     */
    @Test
    void aJvmsAbsoluteLinksAreFollowedInItsOwnFileSystem() throws Exception {
        Path root = Files.createDirectories(dir.resolve("container"));
        String data = "/data-" + ProcessHandle.current().pid() + "-h121"; // no such directory on this host
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.exists(Path.of(data)));
        Files.createDirectories(root.resolve(data.substring(1)).resolve("jlivepatch"));
        Files.copy(jar("agent.jar", "io.jlivepatch.agent.AgentMain"),
                root.resolve(data.substring(1)).resolve("jlivepatch/agent.jar"));
        Files.createSymbolicLink(root.resolve("opt"), Path.of(data));
        Files.createSymbolicLink(root.resolve("lib"), Path.of("opt/jlivepatch")); // relative, and through the first
        assertNull(AgentJar.unseenIn(root, Path.of("/opt/jlivepatch/agent.jar")));
        assertNull(AgentJar.unseenIn(root, Path.of("/lib/agent.jar")));
        assertNull(AgentJar.unseenIn(root, Path.of("/lib/../../opt/./jlivepatch/agent.jar")));
        assertEquals("the JVM has no file /opt/jlivepatch/other.jar, the path it is to load the agent from (its file"
                + " system is not this command's: a container's, say)",
                AgentJar.unseenIn(root, Path.of("/opt/jlivepatch/other.jar")));
        Files.createSymbolicLink(root.resolve("loop"), Path.of("/loop"));
        assertNull(AgentJar.unseenIn(root, Path.of("/loop/agent.jar")), "links that loop: nothing known, nothing said");
    }

    /**
     * Only a file known to be absent is said to be: a path the command cannot look up in the JVM's file
     * system (a directory of the JVM's user it may not search, in a container of another user; as root,
     * a name longer than NAME_MAX stands for it: ENAMETOOLONG) says nothing, and the JVM is asked.
     * Files.exists is false for both, and such a path was refused as "the JVM has no file".
     */
    @Test
    void aPathThatCannotBeLookedUpIsNotSaidToBeAbsent() throws Exception {
        Path root = Files.createDirectories(dir.resolve("container"));
        Files.createDirectories(root.resolve("opt"));
        assertNull(AgentJar.unseenIn(root, Path.of("/opt/" + "d".repeat(256) + "/jlivepatch-agent.jar")));
        assertNull(AgentJar.unseenIn(root, Path.of("/" + "d".repeat(256))));
        assertEquals("the JVM has no file /opt/absent/jlivepatch-agent.jar, the path it is to load the agent from (its"
                + " file system is not this command's: a container's, say)",
                AgentJar.unseenIn(root, Path.of("/opt/absent/jlivepatch-agent.jar")));
    }

    /** sun.instrument splits jarfile[=options] at the first '=', unquotable; nothing else is cut (tried). */
    @Test
    void onlyAPathWithAnEqualsSignCannotBeLoadedFrom() {
        assertNull(AgentJar.unloadableFrom("/opt/my tools/new\nline/\u00e9:\"t\tab/jlivepatch-agent.jar"));
        assertEquals("the agent JAR's path /opt/a=b/jlivepatch-agent.jar has '=', where a JVM ends the path of an agent it"
                + " is to load (what follows would be the agent's options): copy or link jlivepatch-agent.jar to a path"
                + " without '=' and run that one, or name it with -Djlivepatch.agent.jar=<path>",
                AgentJar.unloadableFrom("/opt/a=b/jlivepatch-agent.jar"));
    }

    @Test
    void aJvmOlderThanJava17IsNamedWithItsVersion() {
        assertEquals("it runs Java 1.8.0_402, and jlivepatch needs Java 17 or later (an older JVM cannot load its"
                + " classes): run the application on Java 17 or later to patch it with jlivepatch",
                AgentJar.tooOldFor("1.8", "1.8.0_402"));
        assertTrue(AgentJar.tooOldFor("11", "11.0.22").startsWith("it runs Java 11.0.22, "));
        assertTrue(AgentJar.tooOldFor("16", null).startsWith("it runs Java 16, "), "no java.version: the specification's");
        assertNull(AgentJar.tooOldFor("17", "17.0.15"));
        assertNull(AgentJar.tooOldFor("25", "25.0.3"));
        assertNull(AgentJar.tooOldFor(null, null), "not said: nothing known");
        assertNull(AgentJar.tooOldFor("seventeen", null), "not a version: nothing known");
    }

    @Test
    void anOverrideThatIsNotTheAgentIsRefusedNamingTheOverride() throws Exception {
        Path other = jar("other.jar", "com.acme.Other");
        String before = System.getProperty("jlivepatch.agent.jar");
        System.setProperty("jlivepatch.agent.jar", other.toString());
        try {
            Refused r = assertThrows(Refused.class, AgentJar::path);
            assertEquals("-Djlivepatch.agent.jar names " + other + ", not jlivepatch's agent JAR (its manifest's"
                    + " Agent-Class is com.acme.Other, not io.jlivepatch.agent.AgentMain): run java -jar"
                    + " agent/target/jlivepatch-agent.jar", r.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty("jlivepatch.agent.jar");
            } else {
                System.setProperty("jlivepatch.agent.jar", before);
            }
        }
    }

    /**
     * A relative override names this command's file: sent as it was, the JVM read it in its own working
     * directory (another file, or none: its refusal in the application's standard error), while the
     * check of its file system looked at this command's.
     */
    @Test
    void aRelativeOverrideIsThisCommandsFile() throws Exception {
        Path agent = jar("agent.jar", "io.jlivepatch.agent.AgentMain");
        Path relative = Path.of("").toAbsolutePath().relativize(agent);
        String before = System.getProperty("jlivepatch.agent.jar");
        System.setProperty("jlivepatch.agent.jar", relative.toString());
        try {
            Path p = AgentJar.path();
            assertTrue(p.isAbsolute(), p.toString());
            assertEquals(agent.toRealPath(), p.toRealPath());
        } finally {
            if (before == null) {
                System.clearProperty("jlivepatch.agent.jar");
            } else {
                System.setProperty("jlivepatch.agent.jar", before);
            }
        }
    }
}
