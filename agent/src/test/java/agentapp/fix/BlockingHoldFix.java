package agentapp.fix;

import io.jlivepatch.Replaces;

import java.util.concurrent.CountDownLatch;

/** A patch of Greeter.hold whose new version blocks too: a thread can sit inside the new code. */
public final class BlockingHoldFix {

    private BlockingHoldFix() {
    }

    @Replaces(target = "agentapp.Greeter", method = "hold")
    public static String hold(CountDownLatch release) throws InterruptedException {
        release.await();
        return "held by the fix";
    }
}
