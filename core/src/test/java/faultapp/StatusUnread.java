package faultapp;

/** The target of StatusReadFailureTest's patch whose status cannot be read: no other test hooks it. */
public class StatusUnread {
    public int value() {
        return 1;
    }
}
