package io.jlivepatch.recursion;

import com.acme.tripwire.ExitingCallbackDriver;
import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A patch callback that calls {@code System.exit} ends the JVM with its status, at once: the
 * operation holds jlivepatch's lock while the exit runs the shutdown hooks, and none of
 * jlivepatch's (the audit file's drain, the control socket's close) waits for it. The audit file
 * keeps what was done before; the operation whose callback exited is not in it (README, "Known
 * limits"). The hang bound is a detector only: the JVM ends within a second or two.
 */
class ExitingCallbackTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"prePatch", "postPatch"})
    void aCallbackThatExitsEndsTheJvmWithItsStatusAndTheEarlierRecordsAreInTheFile(String callback) throws Exception {
        Path audit = dir.resolve("audit.jsonl");
        ChildJvm.Ended e = ChildJvm.run(ExitingCallbackDriver.class, List.of(), List.of(audit.toString(), callback), 60);
        assertEquals(3, e.exitCode(), e.tail());
        assertTrue(e.output().contains("registered") && !e.output().contains("RESULT not exited"), e.tail());
        List<String> lines = Files.readAllLines(audit);
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("\"operation\":\"register\",\"patch\":\"exiting\",\"outcome\":\"ok\""),
                lines.toString());
    }
}
