package jarapp.fix;

import io.jlivepatch.PrePatch;
import io.jlivepatch.Replaces;
import jarapp.Counter;

/**
 * A Livepatch-Class whose prePatch was interrupted: it throws InterruptedException, as a callback
 * that waits (a lock, a queue, a sleep) and is told to stop does.
 */
public final class InterruptedPrePatchFix {

    private InterruptedPrePatchFix() {
    }

    @Replaces(target = "jarapp.Counter", method = "next")
    public static int next(Counter self) {
        return -1;
    }

    @PrePatch("jarapp.Counter")
    public static void prepare(Class<?> target) throws InterruptedException {
        throw new InterruptedException("the counter's preparation was told to stop");
    }
}
