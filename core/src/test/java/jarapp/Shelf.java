package jarapp;

/** A target of the access tests: protected members, which a patch class may use only from a subclass. */
public class Shelf {
    protected int stock = 3;

    protected int size() {
        return stock;
    }

    protected static int twice(int n) {
        return 2 * n;
    }

    /** Public, of a public class, with a package-private class in its descriptor. */
    public static int weigh(Ledger ledger) {
        return ledger == null ? 5 : 6;
    }
}
