package io.jlivepatch;

import io.jlivepatch.control.LocalChannel;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * No thread of jlivepatch's own stays marked by the recursion guard while it waits: one that did
 * (the control socket's accept loop did) would send every hooked call of the JVM down the guard's
 * slow path for the life of the JVM, 4 to 5 ns a call (BENCHMARKS.md, CallCost's cheap target).
 */
class IdleMarksTest {

    @Test
    void onceJlivepatchIsIdleNoThreadIsMarked() throws Exception {
        TestSupport.livepatch();
        for (int i = 0; i < 3000 && System.getProperty(LocalChannel.PROPERTY) == null; i++) {
            Thread.sleep(10); // the control socket opens from its own thread
        }
        assertNotNull(System.getProperty(LocalChannel.PROPERTY), "the control socket is up");
        Class<?> recursion = Class.forName("io.jlivepatch.internal.bootstrap.Recursion", true, null);
        Field f = recursion.getDeclaredField("INSIDE");
        f.setAccessible(true);
        AtomicInteger inside = (AtomicInteger) f.get(null);
        // Marks of threads still finishing (a transition worker ending) go within moments; a thread
        // that keeps its mark while idle never lets the count reach zero.
        for (int i = 0; i < 3000 && inside.get() != 0; i++) {
            Thread.sleep(10);
        }
        assertEquals(0, inside.get(), "threads marked while jlivepatch is idle");
    }
}
