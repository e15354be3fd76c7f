package faultapp;

/** The target of InterruptedCallerTest: no other test hooks it. */
public class InterruptedCaller {
    public int value() {
        return 1;
    }
}
