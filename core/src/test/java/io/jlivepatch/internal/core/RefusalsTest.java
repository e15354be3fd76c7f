package io.jlivepatch.internal.core;

import io.jlivepatch.PatchException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RefusalsTest {

    @Test
    void aThreadThatCouldNotStartIsALimitOnThreadsNotAdviceToGiveMoreHeap() {
        PatchException e = Refusals.unexpected("load", null, "patch JAR fix.jar", new OutOfMemoryError(
                "unable to create native thread: possibly out of memory or process/resource limits reached"));
        assertEquals(PatchException.Reason.OUT_OF_MEMORY, e.reason());
        assertTrue(e.getMessage().startsWith("jlivepatch could not start a thread to load patch JAR fix.jar (unable to"
                + " create native thread") && e.getMessage().contains("at a limit on threads (its user's 'ulimit -u',"
                + " its cgroup's pids.max)") && !e.getMessage().contains("-Xmx"), e.getMessage());
    }

    @Test
    void memoryThatRanOutIsStillMemory() {
        PatchException e = Refusals.unexpected("load", null, "patch JAR fix.jar", new OutOfMemoryError("Java heap space"));
        assertTrue(e.getMessage().startsWith("jlivepatch lacked memory to load patch JAR fix.jar (Java heap space)")
                && e.getMessage().contains("-Xmx"), e.getMessage());
    }
}
