package io.jlivepatch.internal.control;

import io.jlivepatch.control.WaitingThread;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The line the {@code jlivepatch} command prints for a thread that holds a transition: a {@link WaitingThread}
 * as jlivepatch's own channel carries it (three fields: name, id, and the method with what holds the thread
 * inside it), read back and printed.
 */
class WaitingThreadLineTest {

    private static WaitingThread overTheChannel(WaitingThread w) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Wire.writeValue(new DataOutputStream(bytes), WaitingThread[].class, new WaitingThread[] {w});
        WaitingThread[] read = (WaitingThread[]) Wire.readValue(new DataInputStream(
                new ByteArrayInputStream(bytes.toByteArray())), 0);
        assertEquals(1, read.length);
        return read[0];
    }

    /** Before, {@code thread '' (id 33)}: read as a name missing from the line. */
    @Test
    void aThreadWithoutANameIsAnUnnamedVirtualThread() throws IOException {
        WaitingThread w = new WaitingThread("", 33, "com.acme.X.f", "the replacement fix.C.f (patch 'P')");
        String line = "an unnamed virtual thread (id 33) in com.acme.X.f, inside the replacement fix.C.f (patch 'P')";
        assertEquals(line, w.toString());
        assertEquals(line, overTheChannel(w).toString());
        assertEquals("", overTheChannel(w).getThread(), "the name itself stays empty");
    }

    @Test
    void aNamedThreadIsNamed() throws IOException {
        assertEquals("thread 'w-1' (id 42) in com.acme.X.f",
                overTheChannel(new WaitingThread("w-1", 42, "com.acme.X.f", "")).toString());
    }

    /** What getMethod's javadoc says: over the channel, the method and what holds the thread in one field. */
    @Test
    void overTheChannelTheMethodCarriesWhatHoldsTheThreadInsideIt() throws IOException {
        WaitingThread read = overTheChannel(new WaitingThread("w-1", 42, "com.acme.X.f",
                "the replacement fix.C.f (patch 'P')"));
        assertEquals("com.acme.X.f, inside the replacement fix.C.f (patch 'P')", read.getMethod());
        assertEquals("", read.getInside());
    }
}
