package faultapp;

/** The target of the fault-injection tests; they define copies of it in other class loaders. */
public class Target {
    public int value() {
        return 1;
    }
}
