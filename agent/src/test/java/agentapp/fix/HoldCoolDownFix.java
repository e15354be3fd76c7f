package agentapp.fix;

import agentapp.Gate;
import io.jlivepatch.PostUnpatch;
import io.jlivepatch.Replaces;

import java.util.concurrent.CountDownLatch;

/**
 * A patch of the method a thread of the service can be held in, whose postUnpatch blocks until the service opens its
 * gate: a disable that reverses its enable's transition (held by that thread) ends inside its call and waits for it.
 */
public final class HoldCoolDownFix {

    private HoldCoolDownFix() {
    }

    @Replaces(target = "agentapp.Greeter", method = "hold")
    public static String hold(CountDownLatch release) {
        return "not held";
    }

    @PostUnpatch("agentapp.Greeter")
    public static void coolDown(Class<?> target) throws InterruptedException {
        Gate.await();
    }
}
