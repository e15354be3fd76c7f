package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Steps that never answer end at the deadline; steps that answer pass through unchanged. */
class DeadlineTest {

    /** Released after each test, so that the steps left waiting end. */
    private final CountDownLatch never = new CountDownLatch(1);

    @AfterEach
    void release() {
        never.countDown();
    }

    @Test
    void aStepThatNeverAnswersEndsWithTheReasonAndWhatItWasDoing() {
        Deadline d = Deadline.in(4242, 1);
        Deadline.NoAnswer e = assertThrows(Deadline.NoAnswer.class, () -> d.run("loading the agent", () -> {
            never.await();
            return null;
        }));
        assertEquals("pid 4242 did not answer within 1 s (while loading the agent); the JVM may be stopped or"
                + " overloaded; retry with a larger --timeout", e.getMessage());
        assertTrue(d.passed());
    }

    @Test
    void aStepThatAnswersReturnsItsValueOrThrowsItsException() throws Exception {
        Deadline d = Deadline.in(1, 60);
        assertEquals("value", d.run("x", () -> "value"));
        IOException thrown = new IOException("closed");
        assertSame(thrown, assertThrows(IOException.class, () -> d.run("x", () -> {
            throw thrown;
        })));
        assertFalse(d.passed());
    }
}
