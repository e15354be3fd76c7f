package insideapp;

/** The application's method whose original code NextPatch runs through {@code @Next}: it runs {@link #during}. */
public final class NextTarget {

    /** Run by the original code on its next call, if set; set by the test. */
    public static volatile Runnable during;

    private NextTarget() {
    }

    public static int value() {
        Runnable r = during;
        if (r != null) {
            r.run();
        }
        return 1;
    }
}
