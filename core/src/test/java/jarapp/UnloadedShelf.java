package jarapp;

/**
 * A class of the application that no test loads (as one the application has not used yet when a patch
 * loads): a patch's use of its members is checked from its class files, without loading it.
 */
public class UnloadedShelf extends UnloadedBase {
    static int count = 1;

    public static int open() {
        return 4;
    }

    private static int hidden() {
        return 5;
    }

    static int packaged() {
        return 6;
    }

    protected static int guarded() {
        return 7;
    }
}
