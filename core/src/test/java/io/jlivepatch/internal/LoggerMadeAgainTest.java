package io.jlivepatch.internal;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A logger that could not be made at the first line (out of memory) is made at the next; one whose
 * making fails every time gives way to standard error.
 */
class LoggerMadeAgainTest {

    @Test
    void aLoggerThatCouldNotBeMadeOutOfMemoryIsMadeAtTheNextLine() throws Exception {
        String out = ChildJvm.runOk(LoggerMadeAgainDriver.class, List.of(), List.of(), 60);
        assertTrue(out.contains("WARNING: the logger made at the second line"), out);
    }

    /**
     * A making that overflows the stack every time keeps standard error after Log.MAKE_ATTEMPTS
     * tries, saying why in its first line, rather than failing every line for the JVM's life; an
     * InternalError at once. Both failed before (the injected error thrown at every line).
     */
    @Test
    void aLoggerWhoseMakingAlwaysFailsOutOfStackOrInternallyGivesWayToStandardError() throws Exception {
        for (String mode : List.of("stack", "internal")) {
            String out = ChildJvm.runOk(LoggerGivenUpDriver.class, List.of(), List.of(mode), 60);
            assertTrue(out.contains("jlivepatch logs to standard error: the JVM's System.Logger for io.jlivepatch could"
                    + " not be made (java.lang." + (mode.equals("stack") ? "StackOverflowError" : "InternalError")
                    + ": injected: every making)"), out);
            assertTrue(out.contains("WARNING: the line after the logger was given up on"), out);
        }
    }
}
