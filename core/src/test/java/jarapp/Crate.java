package jarapp;

/**
 * A target of the access tests, loaded by them: a public class whose package-private members a class
 * of the patch's own class loader inherits when it extends it, and may never use (another runtime
 * package, whatever its package name), and a protected one it may use on itself.
 */
public class Crate {
    int weight = 4;

    int packed() {
        return 4;
    }

    static int count() {
        return 2;
    }

    protected int size() {
        return 1;
    }
}
