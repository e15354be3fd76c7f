package faultapp;

/** The target of CallbackErrorsTest: no other test hooks it. */
public class CallbackFailed {
    public int value() {
        return 1;
    }
}
