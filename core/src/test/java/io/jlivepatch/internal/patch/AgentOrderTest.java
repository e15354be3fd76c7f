package io.jlivepatch.internal.patch;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which agent option of the JVM's comes first, as the note on another agent's code in a hooked
 * method reads it (HookManager.foreignCode): only a first {@code -javaagent} of jlivepatch's own JAR
 * makes the start order no remedy.
 */
class AgentOrderTest {

    @TempDir
    Path dir;
    Path jar;
    Path other;

    @BeforeEach
    void jars() throws IOException {
        jar = Files.createFile(dir.resolve("jlivepatch-agent.jar"));
        other = Files.createFile(dir.resolve("jacocoagent.jar"));
    }

    @Test
    void jlivepatchsJavaagentBeforeAnotherIsFirst() {
        assertTrue(AgentOrder.firstAgentIs(List.of("-Xmx64m", "-javaagent:" + jar, "-javaagent:" + other + "=destfile=x.exec"),
                dir, jar));
    }

    @Test
    void itsOptionsAndARelativePathAreReadAsTheJvmReadsThem() {
        assertTrue(AgentOrder.firstAgentIs(List.of("-javaagent:jlivepatch-agent.jar=patches=/etc/p,watch=true"), dir, jar));
        assertTrue(AgentOrder.firstAgentIs(List.of("-javaagent:./jlivepatch-agent.jar"), dir, jar), "same file");
    }

    @Test
    void anotherJavaagentBeforeItIsNot() {
        assertFalse(AgentOrder.firstAgentIs(List.of("-javaagent:" + other, "-javaagent:" + jar), dir, jar));
    }

    @Test
    void aNativeAgentBeforeItIsNotButTheDebuggerIs() {
        assertFalse(AgentOrder.firstAgentIs(List.of("-agentpath:/opt/profiler/libagent.so", "-javaagent:" + jar), dir, jar));
        assertFalse(AgentOrder.firstAgentIs(List.of("-agentlib:hprof", "-javaagent:" + jar), dir, jar));
        assertTrue(AgentOrder.firstAgentIs(List.of("-agentlib:jdwp=transport=dt_socket,server=y", "-javaagent:" + jar),
                dir, jar));
    }

    @Test
    void noJavaagentOfItsJarIsNotFirst() {
        assertFalse(AgentOrder.firstAgentIs(List.of("-Xmx64m"), dir, jar), "attached: no option of its own");
        assertFalse(AgentOrder.firstAgentIs(List.of("-javaagent:" + dir.resolve("missing.jar")), dir, jar));
        assertFalse(AgentOrder.firstAgentIs(List.of("-javaagent:\0bad"), dir, jar), "no path at all");
    }

    @Test
    void anAttachedJlivepatchIsNotFirstWhateverTheCommandLine() {
        assertFalse(AgentOrder.jlivepatchFirst(null));
    }

    /** The older native agent option loads an agent as -agentpath does; -Xrunjdwp is the debugger. */
    @Test
    void anXrunAgentBeforeItIsNotButTheXrunDebuggerIs() {
        assertFalse(AgentOrder.firstAgentIs(List.of("-Xrunhprof:cpu=samples", "-javaagent:" + jar), dir, jar));
        assertTrue(AgentOrder.firstAgentIs(List.of("-Xrunjdwp:transport=dt_socket,server=y", "-javaagent:" + jar),
                dir, jar));
        assertFalse(AgentOrder.firstAgentIs(List.of("-agentlib:jdwpspy", "-javaagent:" + jar), dir, jar),
                "a library whose name only starts with jdwp is another agent");
    }

    /**
     * Its JAR named twice: which of the two premains installed, and so whose place in the order the hooks'
     * transformer has, cannot be told. It said "first" for the first, whatever came between.
     */
    @Test
    void itsJarNamedAgainAfterAnotherAgentCannotBeTold() {
        assertFalse(AgentOrder.firstAgentIs(List.of("-javaagent:" + jar, "-javaagent:" + other,
                "-javaagent:./jlivepatch-agent.jar=watch=true"), dir, jar));
        assertTrue(AgentOrder.firstAgentIs(List.of("-javaagent:" + jar, "-javaagent:" + other), dir, jar),
                "another agent after it changes nothing");
    }

    /**
     * A relative path is the JVM's working directory's at start-up: an application that sets user.dir
     * later does not move the process, and the JAR the JVM opened is the same. It read user.dir now.
     */
    @Test
    void aRelativePathIsTheStartupDirectorysNotUserDirSetLater() {
        Path startup = Path.of("").toAbsolutePath();
        String userDir = System.getProperty("user.dir");
        System.setProperty("user.dir", dir.toString());
        try {
            assertEquals(startup, AgentOrder.launchDirectory(List.of("-Xmx64m")));
        } finally {
            System.setProperty("user.dir", userDir);
        }
    }

    /** -Duser.dir on the command line: the file system's directory is not the process's: cannot be told. */
    @Test
    void aRelativePathWithUserDirOnTheCommandLineCannotBeTold() {
        List<String> arguments = List.of("-Duser.dir=" + dir, "-javaagent:jlivepatch-agent.jar");
        assertNull(AgentOrder.launchDirectory(arguments));
        assertFalse(AgentOrder.firstAgentIs(arguments, null, jar));
        assertTrue(AgentOrder.firstAgentIs(List.of("-Duser.dir=" + dir, "-javaagent:" + jar), null, jar),
                "an absolute path needs no directory");
    }
}
