package io.jlivepatch;

import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * A log handler that throws an Error fails no operation past its commit, and leaves none off the
 * record. In a fresh JVM ({@link LogHandlerErrorDriver}): the handler ends jlivepatch's log publisher,
 * which no other test may see.
 */
class LogHandlerErrorTest {

    @Test
    void aLogHandlerThatThrowsAnErrorFailsNoCommittedOperationAndLeavesNoneOffTheRecord() throws Exception {
        ChildJvm.runOk(LogHandlerErrorDriver.class, List.of(), List.of(), 120);
    }
}
