package io.jlivepatch.internal.core;

import io.jlivepatch.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Lines still queued for the audit file when the JVM exits (an interrupted caller does not wait for
 * its line) are written before it ends: the writer is a daemon thread, and they were lost, with no
 * gap line to say so.
 */
class AuditAtExitTest {

    @TempDir
    Path dir;

    /** A writer that never gets to the lines (a hung mount) holds the exit one second, and the loss is told. */
    @Test
    void linesTheWriterCannotWriteBeforeTheExitAreToldOnStandardError() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        String out = ChildJvm.runOk(AuditAtExitDriver.class, List.of(), List.of(file.toString(), "2", "never"), 60);
        assertTrue(!Files.exists(file), "the writer never ran");
        assertTrue(out.contains("WARNING: audit file: 2 records were not written to " + file + " before the JVM exited"
                + " (writing them had not ended within 1000 ms); the file lacks 2 records since "), out);
    }

    /**
     * A record made after the exit's drain (another shutdown hook's) has no drain to wait for its line:
     * its own record waits for it as the drain would, and tells the loss in the drain's words.
     */
    @Test
    void aLineQueuedAfterTheExitsDrainThatIsNotWrittenIsToldOnStandardError() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        String out = ChildJvm.runOk(AuditAtExitDriver.class, List.of(), List.of(file.toString(), "0", "late"), 60);
        assertTrue(!Files.exists(file), "the writer never ran");
        assertTrue(out.contains("WARNING: audit file: a record made after the drain at the JVM's exit was not written"
                + " to " + file + " (writing it had not ended within 1000 ms); the file lacks 1 record since "), out);
    }

    @Test
    void theLinesOfAnInterruptedCallerAreInTheFileAfterAnImmediateExit() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        int records = 3;
        ChildJvm.runOk(AuditAtExitDriver.class, List.of(), List.of(file.toString(), Integer.toString(records)), 60);
        List<String> lines = Files.exists(file) ? Files.readAllLines(file) : List.of();
        assertEquals(records, lines.size(), "the lines in the file:\n" + String.join("\n", lines));
        for (int i = 0; i < records; i++) {
            assertTrue(lines.get(i).contains("\"patch\":\"at-exit-" + i + "\""), lines.get(i));
        }
    }
}
