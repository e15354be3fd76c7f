package watchapp.fix;

import io.jlivepatch.PrePatch;
import io.jlivepatch.Replaces;

/**
 * A patch of the watched directory's tests whose prePatch needs a class no class loader can load yet
 * (NoClassDefFoundError: its load waits for a class loader), until system property
 * {@code watchapp.waiting.ready} is set.
 */
public final class GreetingWaiting {

    private GreetingWaiting() {
    }

    @Replaces(target = "watchapp.Greeting", method = "greet")
    public static String greet(String who) {
        return "W " + who;
    }

    @PrePatch("watchapp.Greeting")
    public static void prepare(Class<?> target) {
        if (System.getProperty("watchapp.waiting.ready") == null) {
            throw new NoClassDefFoundError("com/acme/NotLoadedYet");
        }
    }
}
