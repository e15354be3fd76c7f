package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The target's system properties are read again when the JDK's copy of them failed because a property
 * was removed meanwhile (the attach API's IOException "java.lang.NullPointerException"), and only then.
 */
class SystemPropertiesReadTest {

    private static final String REMOVED_MEANWHILE = "java.lang.NullPointerException";

    @Test
    void aCopyThatMetARemovedPropertyIsReadAgain() throws Exception {
        Properties props = new Properties();
        AtomicInteger reads = new AtomicInteger();
        Properties got = TargetJvm.systemProperties(() -> {
            if (reads.incrementAndGet() < 3) {
                throw new IOException(REMOVED_MEANWHILE);
            }
            return props;
        });
        assertSame(props, got);
        assertEquals(3, reads.get());
    }

    @Test
    void anyOtherFailureIsNotReadAgain() {
        AtomicInteger reads = new AtomicInteger();
        IOException e = assertThrows(IOException.class, () -> TargetJvm.systemProperties(() -> {
            reads.incrementAndGet();
            throw new IOException("Connection refused");
        }));
        assertEquals("Connection refused", e.getMessage());
        assertEquals(1, reads.get());
    }

    @Test
    void aCopyThatKeepsFailingIsGivenUpAfterFiveReads() {
        AtomicInteger reads = new AtomicInteger();
        IOException e = assertThrows(IOException.class, () -> TargetJvm.systemProperties(() -> {
            reads.incrementAndGet();
            throw new IOException(REMOVED_MEANWHILE);
        }));
        assertEquals(REMOVED_MEANWHILE, e.getMessage());
        assertEquals(5, reads.get());
    }
}
