package faultapp;

/** A target of RetransformVerifyErrorTest: no other test hooks it. */
public class VerifiedTwo {
    public int value() {
        return 1;
    }
}
