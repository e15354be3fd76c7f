package io.jlivepatch.internal.core;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuditLogTest {

    @Test
    void aHundredRefusalsWithAMillionCharacterNameStayUnderTheByteBound() {
        AuditLog log = new AuditLog();
        String name = "n".repeat(1_000_000);
        for (int i = 0; i < 100; i++) {
            log.record("load", name, "refused INVALID_PATCH: patch JAR " + name + ": name is not valid", "api", null);
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

    @Test
    void aPathWithANewlineCannotForgeAnEntry() {
        AuditLog log = new AuditLog();
        log.record("load", "/tmp/x.jar\n2024-01-01T00:00:00Z enable fix: ok", "refused INVALID_PATCH: no such file\u2028", "api", null);
        String line = log.entries().get(0).toString();
        assertFalse(line.contains("\n") || line.contains("\u2028"), line);
        assertTrue(line.contains("load /tmp/x.jar\\n2024-01-01T00:00:00Z enable fix: ok: refused INVALID_PATCH: no such"
                + " file\\u2028"), line);
    }
}
