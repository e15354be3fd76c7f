package testapp.status;

/** Present in the test sources and never loaded by any test: its functions stay pending. */
public class NeverLoaded {
    public static int value() {
        return 1;
    }
}
