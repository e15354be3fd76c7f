package faultapp;

/** The target of StatusReadFailureTest's healthy patch: no other test hooks it. */
public class StatusRead {
    public int value() {
        return 1;
    }
}
