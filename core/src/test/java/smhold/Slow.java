package smhold;

import java.util.concurrent.CountDownLatch;

/**
 * The target of SecurityManagerTransitionTest: a call with argument -1 or -2 waits inside until let go,
 * and so holds a transition of a patch of this method.
 */
public class Slow {

    public static final CountDownLatch HOLDER_INSIDE = new CountDownLatch(1);
    public static final CountDownLatch HOLDER_GO = new CountDownLatch(1);
    public static final CountDownLatch MOVER_INSIDE = new CountDownLatch(1);
    public static final CountDownLatch MOVER_GO = new CountDownLatch(1);

    public static int quote(int x) throws InterruptedException {
        if (x == -1) {
            HOLDER_INSIDE.countDown();
            HOLDER_GO.await();
        } else if (x == -2) {
            MOVER_INSIDE.countDown();
            MOVER_GO.await();
        }
        return x;
    }
}
