package jarapp;

import java.util.concurrent.CountDownLatch;

/** A method a test thread waits in, for a patch that holds it: its transition cannot end meanwhile. */
public final class Gate {

    /** What {@code jarapp.fix.GateFix} passes (one thread, once, per JVM: a child JVM's test). */
    public static final CountDownLatch INSIDE = new CountDownLatch(1);
    public static final CountDownLatch OPEN = new CountDownLatch(1);

    /** {@link #pass}, as a patch's {@code Livepatch-Hold} names it: a thread in it holds that patch's transition. */
    public static final String HOLD = "jarapp.Gate.pass(Ljava/util/concurrent/CountDownLatch;"
            + "Ljava/util/concurrent/CountDownLatch;)V";

    private Gate() {
    }

    public static void pass(CountDownLatch inside, CountDownLatch open) throws InterruptedException {
        inside.countDown();
        open.await();
    }

    /** Starts a thread ({@code in-the-gate}) and returns once it is inside {@link #pass}. */
    public static Held hold() throws InterruptedException {
        Held held = new Held();
        held.inside.await();
        return held;
    }

    /** A thread waiting in the gate until {@link #open} or {@link #close}. */
    public static final class Held implements AutoCloseable {
        private final CountDownLatch inside = new CountDownLatch(1);
        private final CountDownLatch open = new CountDownLatch(1);
        private final Thread thread = new Thread(() -> {
            try {
                pass(inside, open);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "in-the-gate");

        private Held() {
            thread.start();
        }

        /** Lets the thread out and waits until it has ended. */
        public void open() throws InterruptedException {
            open.countDown();
            thread.join();
        }

        @Override
        public void close() throws InterruptedException {
            open();
        }
    }
}
