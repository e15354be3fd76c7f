package agentapp.fix;

import agentapp.Gate;
import agentapp.Greeter;
import io.jlivepatch.PostPatch;
import io.jlivepatch.Replaces;

/** A patch whose postPatch blocks until the service opens its gate: a transition's end that waits for it. */
public final class BlockingPostPatchFix {

    private BlockingPostPatchFix() {
    }

    @Replaces(target = "agentapp.Greeter", method = "greet")
    public static String greet(Greeter self, String name) {
        return "fixed " + name.trim();
    }

    @PostPatch("agentapp.Greeter")
    public static void warmUp(Class<?> target) throws InterruptedException {
        Gate.await();
    }
}
