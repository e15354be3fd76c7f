package insideapp.fix;

import io.jlivepatch.Replaces;

/**
 * The Livepatch-Class of WaitingInsidePatchCodeTest's patch JAR with a helper: the replacement's work is
 * {@link FixHelper}'s, a class of the JAR that replaces nothing.
 */
public final class HelperCallingFix {

    private HelperCallingFix() {
    }

    @Replaces(target = "insideapp.Target", method = "value")
    public static int value() {
        return FixHelper.work();
    }
}
