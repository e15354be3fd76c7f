package watchapp;

import java.util.concurrent.CountDownLatch;

/** The target of the watched directory's tests. */
public class Greeting {

    /** While set, a call of {@code greet("hold")} waits for it: a thread held inside the old code. */
    public static volatile CountDownLatch hold;
    /** Counted down by a call of {@code greet("hold")} once it is inside. */
    public static volatile CountDownLatch entered;

    public static String greet(String who) throws InterruptedException {
        if (who.equals("hold")) {
            entered.countDown();
            hold.await();
        }
        return "hello " + who;
    }
}
