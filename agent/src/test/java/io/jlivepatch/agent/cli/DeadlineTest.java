package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.management.Attribute;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import java.io.IOException;
import java.lang.reflect.Proxy;
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

    @Test
    void everyCallOfATimedConnectionIsBounded() throws Exception {
        MBeanServerConnection stuck = (MBeanServerConnection) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {MBeanServerConnection.class}, (proxy, method, args) -> {
                    never.await();
                    return null;
                });
        TimedConnection timed = new TimedConnection(7, stuck, 1);
        ObjectName patch = new ObjectName("io.jlivepatch:type=Patch,name=fix-greet");
        Deadline.NoAnswer read = assertThrows(Deadline.NoAnswer.class,
                () -> timed.connection().getAttribute(patch, "Transition"));
        assertTrue(read.getMessage().startsWith("pid 7 did not answer within 1 s (while reading Transition of patch"
                + " 'fix-greet')"), read.getMessage());
        Deadline.NoAnswer set = assertThrows(Deadline.NoAnswer.class,
                () -> timed.connection().setAttribute(patch, new Attribute("Enabled", true)));
        assertTrue(set.getMessage().contains("(while setting Enabled of patch 'fix-greet')"), set.getMessage());
        Deadline.NoAnswer invoke = assertThrows(Deadline.NoAnswer.class, () -> timed.connection().invoke(
                new ObjectName("io.jlivepatch:type=Livepatch"), "load", new Object[] {"/x.jar", true}, null));
        assertTrue(invoke.getMessage().contains("(while calling load of jlivepatch)"), invoke.getMessage());
        assertFalse(timed.answeredInTime());
    }

    @Test
    void aTimedConnectionPassesAnswersAndExceptionsThrough() throws Exception {
        IOException down = new IOException("connection reset");
        MBeanServerConnection real = (MBeanServerConnection) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {MBeanServerConnection.class}, (proxy, method, args) -> {
                    if (method.getName().equals("isRegistered")) {
                        return true;
                    }
                    throw down;
                });
        TimedConnection timed = new TimedConnection(7, real, 30);
        assertTrue(timed.connection().isRegistered(new ObjectName("io.jlivepatch:type=Livepatch")));
        assertSame(down, assertThrows(IOException.class, () -> timed.connection().getMBeanCount()));
        assertTrue(timed.answeredInTime());
    }
}
