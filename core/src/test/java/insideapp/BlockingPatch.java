package insideapp;

/** A replacement that waits at {@link Hold#replacement} when the test set one. */
public final class BlockingPatch {

    private BlockingPatch() {
    }

    public static int value() {
        Hold h = Hold.replacement;
        if (h != null) {
            h.here();
        }
        return 2;
    }
}
