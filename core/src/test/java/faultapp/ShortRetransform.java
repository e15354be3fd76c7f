package faultapp;

/** The target of RetransformShortageTest: no other test hooks it. */
public class ShortRetransform {
    public int value() {
        return 1;
    }

    public int other() {
        return 10;
    }
}
