package cbapp;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/** Holds chosen threads where {@link #pass} is called until a test releases them. */
public final class Hold {

    private static final Map<Thread, CountDownLatch> HOLDS = new ConcurrentHashMap<>();
    private static final Map<Thread, CountDownLatch> ENTERED = new ConcurrentHashMap<>();

    private Hold() {
    }

    public static void arm(Thread t) {
        ENTERED.put(t, new CountDownLatch(1));
        HOLDS.put(t, new CountDownLatch(1));
    }

    /** Waits for {@code t} to be held, 30 s at most: a test whose thread never gets there fails, never hangs. */
    public static void awaitEntered(Thread t) throws InterruptedException {
        if (!ENTERED.get(t).await(30, java.util.concurrent.TimeUnit.SECONDS)) {
            throw new AssertionError("thread '" + t.getName() + "' was not held within 30 s (" + t.getState() + ")");
        }
    }

    public static void release(Thread t) {
        CountDownLatch hold = HOLDS.remove(t);
        if (hold != null) {
            hold.countDown();
        }
    }

    public static void pass() {
        Thread me = Thread.currentThread();
        CountDownLatch hold = HOLDS.get(me);
        if (hold == null) {
            return;
        }
        ENTERED.get(me).countDown();
        boolean interrupted = false;
        while (true) {
            try {
                hold.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            me.interrupt();
        }
    }
}
