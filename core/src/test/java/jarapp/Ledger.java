package jarapp;

/** A target of the access tests: a package-private class, of another runtime package than a patch's own loader. */
class Ledger {

    public static int total() {
        return 7;
    }
}
