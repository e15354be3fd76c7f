package watchapp.fix;

import io.jlivepatch.Replaces;
import watchapp.Greeting;

/** A patch of the watched directory's tests whose greet, like the original's, holds a thread in it on "hold". */
public final class GreetingHold {

    private GreetingHold() {
    }

    @Replaces(target = "watchapp.Greeting", method = "greet")
    public static String greet(String who) throws InterruptedException {
        if (who.equals("hold")) {
            Greeting.entered.countDown();
            Greeting.hold.await();
        }
        return "Hold " + who;
    }
}
