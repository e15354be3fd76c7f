package faultapp;

/** A method RetransformShortageTest's patch holds: no other test hooks it. */
public class ShortHeld {
    public static int work() {
        return 0;
    }
}
