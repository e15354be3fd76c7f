package faultapp;

/** A target of which a test defines a second copy in another class loader; no other test patches it. */
public class Copied {
    public int value() {
        return 1;
    }
}
