package faultapp;

/** The target of LinkFailureReauditTest: no other test hooks it, so its first call after an enable links its hook. */
public class Reaudited {
    public int value() {
        return 1;
    }
}
