package insideapp.fix;

import insideapp.Hold;

/** A class of a patch JAR that is no replacement class: waits at {@link Hold#replacement} when the test set one. */
public final class FixHelper {

    private FixHelper() {
    }

    static int work() {
        Hold h = Hold.replacement;
        if (h != null) {
            h.here();
        }
        return 2;
    }
}
