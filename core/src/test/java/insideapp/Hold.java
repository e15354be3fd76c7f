package insideapp;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Where the patches' code waits until the test lets it go: a class of its own, so that the test can
 * reach the latches while {@link InitPatch}'s initializer holds that class's initialization lock.
 */
public final class Hold {

    private static final long WAIT_S = 30;

    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    public static final Hold INIT = new Hold();
    public static final Hold SHADOW_CTOR = new Hold();
    /** Where the application's SlowInit's static initializer waits. */
    public static final Hold APP_INIT = new Hold();
    /** Where {@link BlockingPatch} waits on its next call, if anywhere; set by the test. */
    public static volatile Hold replacement;

    /** Called by the patch's code: waits until {@link #release}, 30 s at most (then the test fails, never hangs). */
    public Hold() {
    }

    public void here() {
        entered.countDown();
        try {
            if (!released.await(WAIT_S, TimeUnit.SECONDS)) {
                throw new IllegalStateException("not released within " + WAIT_S + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits for a thread to be held here, 30 s at most. */
    public void awaitEntered(Thread t) throws InterruptedException {
        if (!entered.await(WAIT_S, TimeUnit.SECONDS)) {
            throw new AssertionError("thread '" + t.getName() + "' was not held within " + WAIT_S + " s ("
                    + t.getState() + ")");
        }
    }

    public void release() {
        released.countDown();
    }
}
