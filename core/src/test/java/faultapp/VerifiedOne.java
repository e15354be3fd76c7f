package faultapp;

/** A target of RetransformVerifyErrorTest: no other test hooks it. */
public class VerifiedOne {
    public int value() {
        return 1;
    }
}
