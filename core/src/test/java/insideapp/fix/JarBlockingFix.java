package insideapp.fix;

import insideapp.Hold;
import io.jlivepatch.Replaces;

/**
 * The Livepatch-Class of WaitingInsidePatchCodeTest's two patch JARs, one class name in both, as
 * {@code jlivepatch build} names every patch's class for one target class: waits at
 * {@link Hold#replacement} when the test set one.
 */
public final class JarBlockingFix {

    private JarBlockingFix() {
    }

    @Replaces(target = "insideapp.Target", method = "value")
    public static int value() {
        Hold h = Hold.replacement;
        if (h != null) {
            h.here();
        }
        return 2;
    }
}
