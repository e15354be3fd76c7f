package io.jlivepatch.internal.control;

import io.jlivepatch.StackEdgeSweep;
import io.jlivepatch.internal.core.Requester;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A JMX read at the edge of its thread's stack never leaves the thread's requester set to
 * {@code jmx}: an application's own code may read jlivepatch's MBean (an in-process metrics exporter)
 * at whatever depth it is, and a requester left behind makes that thread's later API calls a
 * command's (a bounded wait for jlivepatch's lock, refused BUSY after it, where the API waits; and
 * audited as {@code jmx}). Each attempt runs on a fresh thread with a small stack, one frame deeper
 * than the last, across the depths where the read stops fitting; the thread, like an application that
 * catches the overflow, then asks who its requester is.
 */
class GuardedMBeanStackEdgeTest {

    private static final int STACK_BYTES = 256 * 1024;
    private static final int BELOW_EDGE = 400;
    private static final int ROUNDS = 6;
    private static final int WARM_CALLS = 20_000;

    /** A minimal MXBean for the guarded reads. */
    public interface ProbeMXBean {
        int getValue();
    }

    static final class Probe implements ProbeMXBean {
        @Override
        public int getValue() {
            return 7;
        }
    }

    /** Another thread-local value the thread holds already, as an application's threads do. */
    private static final ThreadLocal<Object> APPLICATIONS = new ThreadLocal<>();

    @Test
    void noRequesterOutlivesAReadAtTheStacksEdge() throws Exception {
        GuardedMBean bean = new GuardedMBean(new Probe(), ProbeMXBean.class);
        for (int i = 0; i < WARM_CALLS; i++) {
            assertEquals(7, bean.getAttribute("Value"));
        }
        assertEquals(Requester.API, Requester.current());
        int[] attempts = {0};
        int reachedBottom = 0;
        Runnable read = () -> {
            try {
                bean.getAttribute("Value");
            } catch (javax.management.JMException e) {
                throw new AssertionError(e);
            }
        };
        for (int round = 0; round < ROUNDS; round++) {
            reachedBottom += StackEdgeSweep.sweep(StackEdgeSweep.edge(STACK_BYTES), BELOW_EDGE, depth -> {
                attempts[0]++;
                String after = attempt(depth, read);
                if (after == null) {
                    return false; // not even the recursion fits
                }
                assertEquals(Requester.API, after, "the thread's requester after a read " + depth
                        + " frames deep (attempt " + attempts[0] + ")");
                return true;
            });
        }
        assertTrue(reachedBottom >= BELOW_EDGE / 4, "the attempts reached the read " + reachedBottom + " times");
    }

    /**
     * Runs {@code work} at the bottom of {@code depth} frames on a fresh thread; the thread's requester
     * once the work (or the overflow) is over, or null when the recursion did not reach its bottom.
     */
    private static String attempt(int depth, Runnable work) throws InterruptedException {
        String[] after = new String[1];
        // An overflow, the recursion's or the read's, is caught: the application goes on, on this thread
        StackEdgeSweep.Run run = StackEdgeSweep.run(depth, STACK_BYTES, "jmx-edge", () -> APPLICATIONS.set(Boolean.TRUE),
                work, () -> after[0] = Requester.current());
        return run.bottom() ? after[0] : null;
    }
}
