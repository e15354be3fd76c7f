package io.jlivepatch.internal.patch;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
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
}
