package jarapp;

import java.util.concurrent.CountDownLatch;

/** A method a test thread waits in, for a patch that holds it: its transition cannot end meanwhile. */
public final class Gate {

    /** What {@code jarapp.fix.GateFix} passes (one thread, once, per JVM: a child JVM's test). */
    public static final CountDownLatch INSIDE = new CountDownLatch(1);
    public static final CountDownLatch OPEN = new CountDownLatch(1);

    private Gate() {
    }

    public static void pass(CountDownLatch inside, CountDownLatch open) throws InterruptedException {
        inside.countDown();
        open.await();
    }
}
