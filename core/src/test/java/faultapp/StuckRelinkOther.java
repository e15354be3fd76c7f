package faultapp;

/** A target of PersistentRelinkFailureTest: no other test hooks it, so its sites are linked by that test alone. */
public class StuckRelinkOther {
    public int value() {
        return 1;
    }
}
