package vt;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** The patched request handler: blocks inside (parked, a queue, synchronized), then tags the answer. */
public final class Handler {
    static final BlockingQueue<Integer> QUEUE = new ArrayBlockingQueue<>(100_000);
    static final Object[] LOCKS = new Object[4096];
    static {
        for (int i = 0; i < LOCKS.length; i++) LOCKS[i] = new Object();
    }
    static volatile int longParkPerMille = 5;

    private Handler() {}

    public static String handle(int kind, int x) throws InterruptedException {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        if (kind == 7) {
            QUEUE.poll(2, TimeUnit.SECONDS);
        } else if (kind == 8) {
            synchronized (LOCKS[(x * 31) & 4095]) {
                Thread.sleep(r.nextInt(1, 4));
            }
        } else if (kind == 9) {
            Thread.sleep(r.nextInt(1, 20));
        } else if (r.nextInt(1000) < longParkPerMille) {
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(2)); // an idle connection
        } else {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(r.nextInt(1, 30)));
        }
        return "v1:" + Codec.tag(x); // BUG: the old tag
    }
}
