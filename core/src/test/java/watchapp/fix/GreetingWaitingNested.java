package watchapp.fix;

import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PrePatch;
import io.jlivepatch.Replaces;

import java.nio.file.Path;

/**
 * {@link GreetingWaiting}, whose prePatch, once a loader can take it (system property
 * {@code watchapp.waiting.ready}), first asks jlivepatch for a load of its own, which is refused (an
 * operation from a callback): a refusal inside the retried load, not the load's.
 */
public final class GreetingWaitingNested {

    private GreetingWaitingNested() {
    }

    @Replaces(target = "watchapp.Greeting", method = "greet")
    public static String greet(String who) {
        return "N " + who;
    }

    @PrePatch("watchapp.Greeting")
    public static void prepare(Class<?> target) {
        if (System.getProperty("watchapp.waiting.ready") == null) {
            throw new NoClassDefFoundError("com/acme/NotLoadedYet");
        }
        try {
            Livepatch.get().load(Path.of("no-such-patch.jar"));
        } catch (PatchException expected) {
            // refused: a callback cannot start an operation; the enable goes on
        }
    }
}
