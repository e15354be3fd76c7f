package faultapp;

/** The target of HostileLoaderTest, defined there by a class loader whose getName throws. */
public class HostileLoaded {
    public int value() {
        return 1;
    }
}
