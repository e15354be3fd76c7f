package faultapp;

/** The target of HookRemovalRefusedTest: no other test hooks it. */
public class RemovalRefused {
    public int value() {
        return 1;
    }
}
