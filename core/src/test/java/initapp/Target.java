package initapp;

import java.util.concurrent.CountDownLatch;

/** The target of InitializerLockDriver: {@code get(true)} waits inside the method, holding a transition. */
public class Target {

    /** Counted down by a call of {@code get(true)} once it is inside the method. */
    public static final CountDownLatch HOLDING = new CountDownLatch(1);
    /** What a call of {@code get(true)} waits for before it returns. */
    public static final CountDownLatch RELEASE = new CountDownLatch(1);

    public String get(boolean hold) {
        if (hold) {
            HOLDING.countDown();
            try {
                RELEASE.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return "original";
    }
}
