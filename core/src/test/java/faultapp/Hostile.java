package faultapp;

/** The target of HostilePatchCodeTest: no other test hooks it. */
public class Hostile {
    public int value() {
        return 1;
    }
}
