package jarapp;

/** A package-private class that no test loads: a patch's own loader may never use it. */
class UnloadedLedger {

    public static int total() {
        return 8;
    }
}
