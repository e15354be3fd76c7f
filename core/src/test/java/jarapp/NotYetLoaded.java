package jarapp;

/** A target of the patch JAR tests that no test loads: a class loaded in no class loader. */
public class NotYetLoaded {

    public int next() {
        return 1;
    }
}
