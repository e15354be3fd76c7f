package jarapp;

/**
 * An interface of a default method naming a class not loaded yet, a static method and a private one
 * (OwnLoaderAccessTest: resolved as the JVM resolves them, through AbstractMeasured and Measured).
 */
public interface Measure {

    default int measure(Wrapping w) {
        return 7 + hidden();
    }

    static int twice(int x) {
        return 2 * x;
    }

    private int hidden() {
        return 0;
    }
}
