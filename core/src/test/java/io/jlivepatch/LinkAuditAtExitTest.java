package io.jlivepatch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The events of classes hooked as they were defined that jlivepatch's link-audit thread (a daemon) had
 * not written when the JVM exited are written by the exit, before the audit file's drain: they were
 * lost. When the exit's bounded wait for that thread runs out, what is left is said to be not recorded.
 * Fresh JVMs ({@link LinkAuditAtExitDriver}); each exits when its {@code main} returns.
 */
class LinkAuditAtExitTest {

    @TempDir
    Path dir;

    private static List<String> linkLines(List<String> lines) {
        return lines.stream().filter(l -> l.contains("\"operation\":\"link\",\"patch\":\"audit-at-exit\"")).toList();
    }

    @Test
    void eventsQueuedWhenMainReturnsAreInTheAuditFile() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        ChildJvm.runOk(LinkAuditAtExitDriver.class, List.of(), List.of(file.toString(), "released"), 120);
        List<String> lines = Files.readAllLines(file);
        List<String> links = linkLines(lines);
        assertEquals(4, links.size(), String.join("\n", lines));
        for (int i = 0; i < 4; i++) {
            assertTrue(links.get(i).contains("\"outcome\":\"ok (testapp.lateaudit.AuditedAtExit in class loader at-exit-" + i
                    + "@"), links.get(i));
        }
        assertTrue(lines.stream().noneMatch(l -> l.contains("audit-gap")), String.join("\n", lines));
    }

    @Test
    void whatTheExitCouldNotWaitForIsSaidToBeNotRecorded() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        String out = ChildJvm.runOk(LinkAuditAtExitDriver.class, List.of(), List.of(file.toString(), "held"), 120);
        // 4: the three queued and the one the blocked thread holds, taken from the queue and never written
        String text = "4 link events were not recorded before the JVM exited: 4 classes hooked as they were defined"
                + " (jlivepatch's link-audit thread, blocked writing the log or an audit record, had not let go within"
                + " 1000 ms)";
        List<String> lines = Files.readAllLines(file);
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"operation\":\"audit-gap\",\"patch\":\"link\",\"outcome\":\""
                + text + "\",\"requester\":\"jlivepatch\"")), String.join("\n", lines));
        assertTrue(out.contains("WARNING: link audit: " + text), out);
    }
}
