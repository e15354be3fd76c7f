package jarapp;

/** A target of the patch tests that no patch JAR carries a copy of: loaded by the test class loader only. */
public class Untouched {

    public int value() {
        return 1;
    }
}
