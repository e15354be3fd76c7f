package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The agent's path and options travel in one attach argument, bounded to 1024 bytes unless both the
 * command and the JVM speak the attach protocol's second version (JDK 25 and later).
 */
class AttachArgumentTest {

    private static final String AGENT = "/opt/jlivepatch-agent.jar"; // 25 bytes

    @Test
    void anArgumentOfAtMost1024BytesGoesToAnyJvm() {
        String options = "a".repeat(1024 - AGENT.length() - 1);
        assertNull(AgentJar.tooLongForTheAttach(AGENT, options, "17"));
        assertNull(AgentJar.tooLongForTheAttach(AGENT, "", "1.8"));
    }

    @Test
    void aLongerOneIsRefusedForAJvmBefore25WithItsLengthAndWhatToDo() {
        String options = "é".repeat(500); // two bytes each: counted as sent, in UTF-8
        assertEquals("the agent JAR's path and its --agent-options are 1026 bytes together, more than the 1024 an"
                + " attach to that JVM takes; shorten the options (or the JAR's path), or start the JVM with"
                + " -javaagent:jlivepatch-agent.jar=<options>; nothing was loaded",
                AgentJar.tooLongForTheAttach(AGENT, options, "17"));
        assertEquals(AgentJar.tooLongForTheAttach(AGENT, options, "17"),
                AgentJar.tooLongForTheAttach(AGENT, options, null), "a JVM that does not say: the bounded version");
        if (Runtime.version().feature() >= 25) {
            assertNull(AgentJar.tooLongForTheAttach(AGENT, options, "25"), "both sides speak the second version");
        } else {
            assertEquals(AgentJar.tooLongForTheAttach(AGENT, options, "17"),
                    AgentJar.tooLongForTheAttach(AGENT, options, "25"), "this command speaks the first only");
        }
    }
}
