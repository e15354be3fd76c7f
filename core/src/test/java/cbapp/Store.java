package cbapp;

/** A second target of the callback tests, loaded by the test class loader. */
public class Store {

    public String get() {
        return "original store";
    }
}
