package io.jlivepatch.jar;

import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A load called by an interrupted thread (application code that interrupts every thread) is refused
 * for what happened, the interrupt, not as a malformed JAR or a bad path: nothing is changed, the
 * interrupt status is kept, and the same JAR loads once the thread is no longer interrupted.
 */
class InterruptedLoadTest {

    @TempDir
    Path dir;

    @AfterEach
    void cleanUp() throws PatchException {
        Thread.interrupted();
        Jars.removeAll();
    }

    @Test
    void aLoadByAnInterruptedThreadIsRefusedAsInterruptedNotAsAMalformedJar() throws Exception {
        Path jar = Jars.write(dir.resolve("fix.jar"), Jars.manifest("fix-interrupted-load", Jars.FIX),
                Jars.classes(Jars.FIX));
        Livepatch lp = Jars.lp(); // installed before the interrupt: the test's own attach is not under test
        Thread.currentThread().interrupt();
        PatchException refused;
        try {
            refused = assertThrows(PatchException.class, () -> lp.load(jar));
        } finally {
            assertTrue(Thread.interrupted(), "the caller's interrupt status is kept");
        }
        assertEquals(PatchException.Reason.BUSY, refused.reason(), refused.getMessage());
        assertEquals("patch JAR " + jar + ": not read: the calling thread was interrupted (its interrupt status is"
                + " kept); nothing was changed: load it again", refused.getMessage());
        assertTrue(lp.patches().isEmpty(), "nothing was registered");
        PatchHandle h = lp.load(jar);
        assertEquals("fix-interrupted-load", h.name());
    }
}
