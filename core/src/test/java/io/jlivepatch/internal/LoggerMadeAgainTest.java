package io.jlivepatch.internal;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** A logger that could not be made at the first line (out of memory) is made at the next. */
class LoggerMadeAgainTest {

    @Test
    void aLoggerThatCouldNotBeMadeOutOfMemoryIsMadeAtTheNextLine() throws Exception {
        String out = ChildJvm.runOk(LoggerMadeAgainDriver.class, List.of(), List.of(), 60);
        assertTrue(out.contains("WARNING: the logger made at the second line"), out);
    }
}
