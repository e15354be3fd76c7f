package watchapp.fix;

import io.jlivepatch.PrePatch;
import io.jlivepatch.Replaces;

/**
 * A patch of the watched directory's tests whose prePatch was interrupted: it throws
 * InterruptedException, as a callback that waits and is told to stop does.
 */
public final class GreetingInterrupted {

    private GreetingInterrupted() {
    }

    @Replaces(target = "watchapp.Greeting", method = "greet")
    public static String greet(String who) {
        return "I " + who;
    }

    @PrePatch("watchapp.Greeting")
    public static void prepare(Class<?> target) throws InterruptedException {
        throw new InterruptedException("the greeting's preparation was told to stop");
    }
}
