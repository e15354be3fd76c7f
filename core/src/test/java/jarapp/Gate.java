package jarapp;

import java.util.concurrent.CountDownLatch;

/** A method a test thread waits in, for a patch that holds it: its transition cannot end meanwhile. */
public final class Gate {

    private Gate() {
    }

    public static void pass(CountDownLatch inside, CountDownLatch open) throws InterruptedException {
        inside.countDown();
        open.await();
    }
}
