package io.jlivepatch.jar;

import com.acme.selectstall.StalledSelectExitDriver;
import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JVM's exit never waits for the control socket's select: with a patch of the selector's
 * {@code doSelect} that never returns on the accepting thread (holding the selector's lock, which the
 * selector's close takes), the JVM exits, and the socket's file is gone. Before, the exit hook's close
 * of the selector waited for that select for good, and the JVM never ended. In a JVM of its own: the
 * patch is the whole JVM's, and the test is its exit.
 */
class StalledSelectExitTest {

    @Test
    void aSelectThatNeverReturnsDoesNotHoldTheJvmsExit() throws Exception {
        // 60 s: a hang guard only (the exit gives the select up after about a second)
        ChildJvm.Ended e = ChildJvm.run(StalledSelectExitDriver.class,
                List.of("--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"), List.of(), 60);
        assertTrue(e.output().contains("EXITING"), e.tail());
        assertEquals(0, e.exitCode(), e.tail());
        String socket = e.output().lines().filter(l -> l.startsWith("SOCKET ")).findFirst().orElseThrow()
                .substring("SOCKET ".length());
        assertTrue(!Files.exists(Path.of(socket), LinkOption.NOFOLLOW_LINKS), "the socket's file is left: " + socket);
        // Said at the exit on standard error: through java.util.logging, whose own hook resets its handlers
        // meanwhile, the line was lost
        assertTrue(e.output().contains("WARNING: the jlivepatch control socket " + socket + " is closed, but its"
                + " accepting thread's wait did not return"), e.tail());
        assertTrue(e.output().contains("left open to the process's end, and the exit goes on without them"), e.tail());
    }
}
