package testapp.memory;

/** Target of {@code DispatchForgetTest}: loaded in a class loader of the test's own, so no other test hooks it. */
public class Residue {
    public static int value(int a) {
        return a + 1;
    }
}
