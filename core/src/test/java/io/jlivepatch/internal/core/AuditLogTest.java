package io.jlivepatch.internal.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuditLogTest {

    @Test
    void aHundredRefusalsWithAMillionCharacterNameStayUnderTheByteBound() {
        AuditLog log = new AuditLog();
        String name = "n".repeat(1_000_000);
        for (int i = 0; i < 100; i++) { // a requester each: the same refusal again would be counted into one line
            log.record("load", name, "refused INVALID_PATCH: patch JAR " + name + ": name is not valid", "pid " + i
                    + " user u", null);
        }
        assertTrue(log.bytes() <= AuditLog.MAX_BYTES, log.bytes() + " bytes");
        long chars = log.entries().stream().mapToLong(e -> e.toString().length()).sum();
        assertTrue(2 * chars <= AuditLog.MAX_BYTES, chars + " characters kept");
        List<AuditLog.Entry> kept = log.entries();
        AuditLog.Entry e = kept.get(kept.size() - 1);
        assertEquals(AuditLog.MAX_BYTES / AuditLog.bytes(e), kept.size(), "as many of the newest as the bytes allow");
        assertEquals("n".repeat(AuditLog.MAX_PATCH) + "\u2026(truncated, 1000000 chars)", e.patch());
        assertTrue(e.outcome().startsWith("refused INVALID_PATCH: patch JAR nnn"), e.outcome());
        assertTrue(e.outcome().endsWith("\u2026(truncated, 1000052 chars)"), e.outcome());
    }

    @Test
    void aRecordMadeWhileAnotherIsBeingAddedTakesItsTimeInTheLogsOrder() throws Exception {
        AuditLog log = new AuditLog();
        Thread first = new Thread(() -> log.record("enable", "first", "ok", "api", null), "first");
        synchronized (log) { // where a concurrent record holds it: the first one waits for it
            first.start();
            while (first.getState() != Thread.State.BLOCKED) {
                Thread.onSpinWait(); // until it waits for the log (a state, not a time)
            }
            Thread.sleep(2); // only so that the clock moves between the two, whatever its resolution
            log.record("disable", "second", "ok", "api", null); // this thread holds the log: it goes in first
        }
        first.join();
        List<AuditLog.Entry> entries = log.entries();
        assertEquals(List.of("second", "first"), entries.stream().map(AuditLog.Entry::patch).toList());
        // Each record's time is taken where its place in the log (and the audit file's queue) is: a
        // reader of either never finds a record stamped before the one ahead of it.
        assertFalse(entries.get(1).time().isBefore(entries.get(0).time()), entries.toString());
    }

    @Test
    void theOldestEntriesGoFirstWhenTheBytesRunOut() {
        AuditLog log = new AuditLog();
        String wide = "\u001b".repeat(AuditLog.MAX_OUTCOME); // six characters each once escaped
        for (int i = 0; i < 200; i++) {
            log.record("load", "p" + i, wide, "api", null);
        }
        List<AuditLog.Entry> kept = log.entries();
        assertTrue(log.bytes() <= AuditLog.MAX_BYTES, log.bytes() + " bytes");
        assertTrue(kept.size() < 200, kept.size() + " entries");
        assertEquals("p199", kept.get(kept.size() - 1).patch());
        assertEquals("p" + (200 - kept.size()), kept.get(0).patch());
    }

    @Test
    void theOldestEntriesGoFirstPastTheCapacity() {
        AuditLog log = new AuditLog();
        for (int i = 0; i < AuditLog.CAPACITY + 5; i++) {
            log.record("enable", "p" + i, "ok", "api", null);
        }
        assertEquals(AuditLog.CAPACITY, log.entries().size());
        assertEquals("p5", log.entries().get(0).patch());
    }

    /**
     * A loop of refused calls (a local client's bad requests, a JMX client retrying a refused enable,
     * a watched directory's bad JAR) must not push the record of what changed out of the log: the
     * operator reads {@code status --log} to learn what runs.
     */
    @Test
    void aThousandRefusalsLeaveTheChangeBeforeThemOnRecord() {
        AuditLog log = new AuditLog();
        log.record("load", "fix-x", "ok (registered, enabled)", "pid 1 user alice", null);
        for (int i = 0; i < AuditLog.CAPACITY + 500; i++) {
            log.record("enable", "fix-" + i, "refused ILLEGAL_STATE: no patch 'fix-" + i + "' is registered", "jmx",
                    null);
        }
        List<AuditLog.Entry> kept = log.entries();
        assertEquals("load fix-x by pid 1 user alice: ok (registered, enabled)",
                kept.get(0).toString().substring(kept.get(0).time().toString().length() + 1), "the change stays");
        assertEquals("fix-" + (AuditLog.CAPACITY + 499), kept.get(kept.size() - 1).patch(), "the newest refusal too");
    }

    @Test
    void theOldestRefusalsGoFirstPastTheirOwnCapacity() {
        AuditLog log = new AuditLog();
        for (int i = 0; i < AuditLog.CAPACITY + 5; i++) {
            log.record("enable", "p" + i, "refused BUSY: x", "api", null);
        }
        List<AuditLog.Entry> kept = log.entries();
        assertEquals(AuditLog.CAPACITY, kept.size());
        assertEquals("p5", kept.get(0).patch());
    }

    /**
     * A loop of the same refusal keeps one line that counts it, at the time of the last, so that the
     * refusals before the loop stay too.
     */
    @Test
    void theSameRefusalAgainIsCountedIntoOneLineAtItsLatestTime() {
        AuditLog log = new AuditLog();
        log.record("load", "fix-x", "ok (registered, enabled)", "api", null);
        log.record("disable", "fix-x", "refused ILLEGAL_STATE: out of order", "pid 7 user bob", null);
        for (int i = 0; i < 3 * AuditLog.CAPACITY; i++) {
            log.record("enable", "fix-y", "refused ILLEGAL_STATE: no patch 'fix-y' is registered", "jmx", null);
        }
        List<AuditLog.Entry> kept = log.entries();
        assertEquals(3, kept.size(), kept.toString());
        AuditLog.Entry loop = kept.get(2);
        assertEquals(3L * AuditLog.CAPACITY, loop.times());
        assertTrue(loop.toString().endsWith(" enable fix-y by jmx: refused ILLEGAL_STATE: no patch 'fix-y' is"
                + " registered (the same 3000 times, first at " + loop.first() + ", last at " + loop.time() + ")"),
                loop.toString());
        assertFalse(loop.first().isAfter(loop.time()));
        assertEquals("out of order", kept.get(1).outcome().substring("refused ILLEGAL_STATE: ".length()));
        assertEquals(1, kept.get(1).times());
        assertFalse(kept.get(1).toString().contains("the same"), kept.get(1).toString());
    }

    /**
     * Refusals interleaved are each counted into their own line, which moves to the end as it
     * repeats (the log reads in the order of its times); a record between two of them ends the run,
     * so that no line stands for refusals on both sides of a change.
     */
    @Test
    void aRunOfRefusalsEndsAtAnotherRecordAndKeepsTheOrderOfTimes() {
        AuditLog log = new AuditLog();
        log.record("enable", "a", "refused BUSY: x", "jmx", null);
        log.record("enable", "b", "refused BUSY: x", "jmx", null);
        log.record("enable", "a", "refused BUSY: x", "jmx", null);
        log.record("enable", "c", "ok", "api", null);
        log.record("enable", "a", "refused BUSY: x", "jmx", null);
        log.record("enable", "a", "refused BUSY: x", "pid 3 user u", null); // another requester: another line
        List<AuditLog.Entry> kept = log.entries();
        assertEquals(List.of("b", "a", "c", "a", "a"), kept.stream().map(AuditLog.Entry::patch).toList());
        assertEquals(List.of(1L, 2L, 1L, 1L, 1L), kept.stream().map(AuditLog.Entry::times).toList());
        for (int i = 1; i < kept.size(); i++) {
            assertFalse(kept.get(i).time().isBefore(kept.get(i - 1).time()), kept.toString());
        }
    }

    /** The other records are never counted into one: each is an operation that ran. */
    @Test
    void theSameChangeAgainIsALineOfItsOwn() {
        AuditLog log = new AuditLog();
        log.record("enable", "a", "ok", "jmx", null);
        log.record("enable", "a", "ok", "jmx", null);
        assertEquals(List.of(1L, 1L), log.entries().stream().map(AuditLog.Entry::times).toList());
    }

    @Test
    void aPathWithANewlineCannotForgeAnEntry() {
        AuditLog log = new AuditLog();
        log.record("load", "/tmp/x.jar\n2024-01-01T00:00:00Z enable fix: ok", "refused INVALID_PATCH: no such file\u2028", "api", null);
        String line = log.entries().get(0).toString();
        assertFalse(line.contains("\n") || line.contains("\u2028"), line);
        assertTrue(line.contains("load /tmp/x.jar\\n2024-01-01T00:00:00Z enable fix: ok by api: refused INVALID_PATCH: no such"
                + " file\\u2028"), line);
    }

    @Test
    void anEntryNamesWhoAskedAndWhichFileAndContent() {
        AuditLog log = new AuditLog();
        String sha = "ab12".repeat(16);
        log.record("load", "fix-x", "ok (registered, enabled)", "pid 123 user alice",
                new Provenance("/tmp/fix.jar", sha, "CN=Alice, O=Acme", Map.of(), Instant.EPOCH, "pid 123 user alice"));
        AuditLog.Entry e = log.entries().get(0);
        assertEquals(e.time() + " load fix-x by pid 123 user alice: ok (registered, enabled) [file /tmp/fix.jar sha256 "
                + sha + " signer CN=Alice, O=Acme]", e.toString());
        assertEquals(List.of("pid 123 user alice", "/tmp/fix.jar", sha, "CN=Alice, O=Acme"),
                List.of(e.requester(), e.source(), e.sha256(), e.signer()));
    }

    @Test
    void anEntryWithoutAJarSaysOnlyWhoAsked() {
        AuditLog log = new AuditLog();
        log.record("enable", "fix-x", "ok", "jmx", null);
        log.record("register", "in-code", "ok", "api", new Provenance("", "", "", Map.of(), Instant.EPOCH, "api"));
        List<AuditLog.Entry> entries = log.entries();
        assertTrue(entries.get(0).toString().endsWith(" enable fix-x by jmx: ok"), entries.get(0).toString());
        assertTrue(entries.get(1).toString().endsWith(" register in-code by api: ok"), entries.get(1).toString());
        AuditLog.Entry unsigned = record(log, new Provenance("/p/fix.jar", "00ff", "", Map.of(), Instant.EPOCH, "api"));
        assertTrue(unsigned.toString().endsWith(" load fix by api: ok [file /p/fix.jar sha256 00ff]"), unsigned.toString());
    }

    @Test
    void theRequesterAndProvenanceAreCutAndCleanedLikeEveryField() {
        AuditLog log = new AuditLog();
        String user = "pid 1 user \u001b[31m" + "u".repeat(10_000);
        String path = "/tmp/" + "p".repeat(100_000) + "\n.jar";
        String signer = "CN=\u202eevil" + "s".repeat(10_000);
        log.record("load", "fix", "ok", user, new Provenance(path, "f".repeat(1000), signer, Map.of(), Instant.EPOCH, user));
        AuditLog.Entry e = log.entries().get(0);
        assertEquals("pid 1 user \\e[31m" + "u".repeat(AuditLog.MAX_REQUESTER - 16) + "\u2026(truncated, 10016 chars)",
                e.requester());
        assertEquals("/tmp/" + "p".repeat(AuditLog.MAX_SOURCE - 5) + "\u2026(truncated, 100010 chars)", e.source());
        assertEquals("f".repeat(AuditLog.MAX_SHA256) + "\u2026(truncated, 1000 chars)", e.sha256());
        assertTrue(e.signer().startsWith("CN=\\u202eevil") && e.signer().endsWith("(truncated, 10008 chars)"), e.signer());
        assertFalse(e.toString().contains("\n") || e.toString().contains("\u001b"), e.toString());
        assertTrue(AuditLog.bytes(e) < 2 * (AuditLog.MAX_REQUESTER + AuditLog.MAX_SOURCE + AuditLog.MAX_SIGNER + 400)
                + AuditLog.ENTRY_OVERHEAD, AuditLog.bytes(e) + " bytes");
    }

    @Test
    void aSubjectOrFileThatHoldsASeparatorIsQuotedSoThatNoTextReadsAsAnotherField() {
        AuditLog log = new AuditLog();
        String forged = "/tmp/x.jar by pid 1 user root: ok (registered, enabled)";
        log.record("load", forged, "refused INVALID_PATCH: ...", "pid 999 user mallory",
                new Provenance("/tmp/y.jar sha256 0000] [file /etc/ok.jar", "ab12", "", Map.of(), Instant.EPOCH, "x"));
        String line = log.entries().get(log.entries().size() - 1).toString();
        assertTrue(line.endsWith(" load \"/tmp/x.jar by pid 1 user root: ok (registered, enabled)\" by pid 999 user"
                + " mallory: refused INVALID_PATCH: ... [file \"/tmp/y.jar sha256 0000] [file /etc/ok.jar\" sha256 ab12]"),
                line);
        assertEquals("fix-x", AuditLog.unambiguous("fix-x", " by "), "an ordinary name stays as it is");
        assertEquals("\"\\\"a\\\\ by b\"", AuditLog.unambiguous("\"a\\ by b", " by "));
    }

    /**
     * A requester that holds the separator after it ({@code ": "}), a JMX user's name an application's authenticator
     * took as the client sent it ({@code jmx user bob: ok}, JmxCaller), is quoted: read up to its first
     * {@code ": "}, the line of a refused enable said {@code ok: refused ...}. Before JMX users were named, every
     * requester was jlivepatch's own words or {@code pid N user U} with U the system's user name, which holds none.
     */
    @Test
    void aRequesterThatHoldsTheSeparatorAfterItIsQuoted() {
        AuditLog log = new AuditLog();
        log.record("enable", "fix-x", "refused INVALID_ARGUMENT: ...", "jmx user bob: ok", null);
        log.record("enable", "fix-x", "ok", "jmx user alice", null);
        List<AuditLog.Entry> entries = log.entries();
        String refused = entries.get(entries.size() - 2).toString();
        assertTrue(refused.endsWith(" enable fix-x by \"jmx user bob: ok\": refused INVALID_ARGUMENT: ..."), refused);
        String plain = entries.get(entries.size() - 1).toString();
        assertTrue(plain.endsWith(" enable fix-x by jmx user alice: ok"),
                "an ordinary requester stays as it is: " + plain);
    }

    /**
     * A text that ends with the start of the separator after it ({@code "x.jar by"} before
     * {@code " by "}) makes the separator appear early: read up to its first {@code " by "}, the
     * line named the subject {@code x.jar} and the requester {@code by api}. Quoted as a text that
     * holds a separator is.
     */
    @Test
    void aSubjectOrFileThatEndsWithTheStartOfTheSeparatorAfterItIsQuotedToo() {
        AuditLog log = new AuditLog();
        log.record("load", "/tmp/x.jar by", "refused INVALID_PATCH: ...", "api",
                new Provenance("/tmp/y.jar sha256", "ab12", "", Map.of(), Instant.EPOCH, "x"));
        String line = log.entries().get(log.entries().size() - 1).toString();
        assertTrue(line.endsWith(" load \"/tmp/x.jar by\" by api: refused INVALID_PATCH: ... [file \"/tmp/y.jar sha256\""
                + " sha256 ab12]"), line);
        assertEquals("\"/x signer\"", AuditLog.unambiguous("/x signer", " sha256 ", " signer ", "]"));
        assertEquals("x ", AuditLog.unambiguous("x ", " by "), "a trailing space makes no separator");
        assertEquals("x b", AuditLog.unambiguous("x b", " by "));
    }

    /**
     * A record (not a link event's: AuditLog.record) whose place meets an Error (no memory for its entry) once is
     * tried again: it is on record, and its caller gets no Error. It passed the Error to its caller, the record lost
     * and counted nowhere.
     */
    @Test
    void aRecordWhosePlaceFindsNoMemoryOnceIsOnRecord() {
        AuditLog log = new AuditLog();
        int[] thrown = {0};
        Thread me = Thread.currentThread();
        AuditLog.placeForTests = x -> {
            if (Thread.currentThread() == me && x[1].equals("oom-once") && thrown[0]++ == 0) {
                throw new OutOfMemoryError("test: no memory for the record's entry");
            }
        };
        try {
            log.record("enable", "oom-once", "ok", "api", null);
        } finally {
            AuditLog.placeForTests = null;
        }
        assertEquals(2, thrown[0], "placed at the first try, or not tried again");
        List<AuditLog.Entry> entries = log.entries();
        assertEquals(1, entries.size(), entries.toString());
        assertEquals("oom-once", entries.get(0).patch());
    }

    /**
     * As above, the Error at every try (memory cannot hold the record), an audit file in use, at the JVM's exit
     * (recordAtExit: the link audit's exit pass places an event's records so, one after the other) and not: the
     * record is counted as not written to the file (status's count, the gap line ahead of the next line), its
     * caller gets no Error, and the records after it are placed. The Error went to the caller uncounted: the exit's
     * pass lost the rest of its event's records with it.
     */
    @Test
    void aRecordWhosePlaceFindsNoMemoryAtAllIsCountedAsNotWrittenToTheAuditFile(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("audit.jsonl");
        AuditFile f = AuditFile.start(path, path.toString());
        AuditFile before = AuditLog.file;
        AuditLog.file = f;
        AuditLog log = new AuditLog();
        Thread me = Thread.currentThread();
        int[] thrown = {0};
        AuditLog.placeForTests = x -> {
            if (Thread.currentThread() == me && x[1].startsWith("oom-all")) {
                thrown[0]++;
                throw new OutOfMemoryError("test: no memory for the record's entry");
            }
        };
        try {
            log.recordAtExit("link", "oom-all-exit", "ok (hooked)", "jlivepatch", null);
            log.record("enable", "oom-all", "ok", "api", null);
            // Both counted before a line is queued: one gap line, ahead of both (record waits for its line)
            log.recordAtExit("link", "after-exit", "ok (hooked)", "jlivepatch", null);
            log.record("enable", "after", "ok", "api", null);
        } finally {
            AuditLog.placeForTests = null;
            AuditLog.file = before;
        }
        assertEquals(4, thrown[0], "each tried twice");
        List<String> kept = log.entries().stream().map(AuditLog.Entry::patch).toList();
        assertEquals(List.of("after-exit", "after"), kept);
        assertTrue(f.notWrittenSoFar().startsWith("2 records not written to it"), f.notWrittenSoFar());
        List<String> lines = Files.readAllLines(path);
        assertTrue(lines.size() >= 3 && lines.get(0).contains("\"operation\":\"audit-gap\"")
                && lines.get(0).contains("2 records were not written") && lines.get(1).contains("\"after-exit\"")
                && lines.get(2).contains("\"after\""), String.join("\n", lines));
    }

    private static AuditLog.Entry record(AuditLog log, Provenance p) {
        log.record("load", "fix", "ok", "api", p);
        List<AuditLog.Entry> entries = log.entries();
        return entries.get(entries.size() - 1);
    }
}
