package faultapp;

/** The target of FirstLinkFailureTest: no other test hooks it, so its first call after an enable links its hook. */
public class FirstLinked {
    public int value() {
        return 1;
    }
}
