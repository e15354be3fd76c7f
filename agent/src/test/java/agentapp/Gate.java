package agentapp;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** What a patch's callback waits at until the service is told "open" (agentapp.fix.BlockingPostPatchFix). */
public final class Gate {

    private static final CountDownLatch OPEN = new CountDownLatch(1);

    private Gate() {
    }

    /** Waits until {@link #open}, at most 60 s: a failed test never keeps the callback's thread for good. */
    public static void await() throws InterruptedException {
        OPEN.await(60, TimeUnit.SECONDS);
    }

    public static void open() {
        OPEN.countDown();
    }
}
