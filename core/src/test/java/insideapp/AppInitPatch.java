package insideapp;

/** A replacement whose first call initializes the application's {@link SlowInit}. */
public final class AppInitPatch {

    private AppInitPatch() {
    }

    public static int value() {
        return SlowInit.value();
    }
}
