package faultapp;

/** The target of RollbackShortageTest: no other test hooks it. */
public class RollbackShort {
    public int value() {
        return 1;
    }

    public int other() {
        return 10;
    }

    public int more() {
        return 20;
    }
}
