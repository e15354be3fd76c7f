package holdapp;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

/** Unpatched code that calls encode and then decode: the sequence a patch must not split. */
public final class Caller {

    private static final Map<Thread, CountDownLatch> HOLDS = new ConcurrentHashMap<>();
    private static final Map<Thread, CountDownLatch> BETWEEN = new ConcurrentHashMap<>();

    private Caller() {
    }

    /** {@code e = encode(x); d = decode(e)}; {@code null} when the two ran in different versions. */
    public static String roundTrip(String x) {
        String e = Codec.encode(x);
        between();
        return Codec.decode(e);
    }

    /** Stops {@code t} between encode and decode at its next round trip, until {@link #release}. */
    public static void stopBetween(Thread t) {
        BETWEEN.put(t, new CountDownLatch(1));
        HOLDS.put(t, new CountDownLatch(1));
    }

    public static void awaitBetween(Thread t) throws InterruptedException {
        BETWEEN.get(t).await();
    }

    public static void release(Thread t) {
        CountDownLatch hold = HOLDS.remove(t);
        if (hold != null) {
            hold.countDown();
        }
    }

    private static void between() {
        Thread me = Thread.currentThread();
        CountDownLatch hold = HOLDS.get(me);
        if (hold == null) {
            // A little work between the two calls, so that a transition often starts right there.
            for (int i = 0; i < 2000; i++) {
                Thread.onSpinWait();
            }
            return;
        }
        BETWEEN.get(me).countDown();
        try {
            hold.await();
        } catch (InterruptedException e) {
            me.interrupt();
        }
    }
}
