package faultapp;

/** The target of RelinkFailureTest: no other test hooks it, so its sites are linked by that test alone. */
public class RelinkFailed {
    public int value() {
        return 1;
    }
}
