package faultapp;

/** The target of CoveredStatusTest: no other test hooks it. */
public class Covered {
    public int value() {
        return 1;
    }
}
