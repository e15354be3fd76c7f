package cbapp;

/** A target of the callback tests, loaded by the test class loader. */
public class Cache {

    public String get() {
        return "original";
    }
}
