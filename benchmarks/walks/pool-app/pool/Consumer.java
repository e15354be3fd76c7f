package pool;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/** A task that never returns: one pool worker takes the ticker's numbers for the service's life. */
public final class Consumer {
    static final AtomicLong consumed = new AtomicLong();

    public static void loop(BlockingQueue<Integer> inbox) {
        while (true) {
            try {
                inbox.take();
                consumed.incrementAndGet();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
