package agentapp.fix;

import agentapp.Gate;
import agentapp.Greeter;
import io.jlivepatch.PostUnpatch;
import io.jlivepatch.Replaces;

/** A patch whose postUnpatch blocks until the service opens its gate: a disable's end that waits for it. */
public final class BlockingPostUnpatchFix {

    private BlockingPostUnpatchFix() {
    }

    @Replaces(target = "agentapp.Greeter", method = "greet")
    public static String greet(Greeter self, String name) {
        return "fixed " + name.trim();
    }

    @PostUnpatch("agentapp.Greeter")
    public static void coolDown(Class<?> target) throws InterruptedException {
        Gate.await();
    }
}
