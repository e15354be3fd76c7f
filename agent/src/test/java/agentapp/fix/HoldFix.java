package agentapp.fix;

import io.jlivepatch.Replaces;

import java.util.concurrent.CountDownLatch;

/** A patch of the method a thread of the service can be held in. */
public final class HoldFix {

    private HoldFix() {
    }

    @Replaces(target = "agentapp.Greeter", method = "hold")
    public static String hold(CountDownLatch release) {
        return "not held";
    }
}
