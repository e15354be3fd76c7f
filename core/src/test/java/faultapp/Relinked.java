package faultapp;

/** The target of RelinkShortageTest: no other test hooks it, so its sites are linked by that test alone. */
public class Relinked {
    public int value() {
        return 1;
    }

    public int other() {
        return 10;
    }
}
