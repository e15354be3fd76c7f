package insideapp;

/** The application's method the patches of WaitingInsidePatchCodeTest replace. */
public final class Target {

    private Target() {
    }

    public static int value() {
        return 1;
    }
}
