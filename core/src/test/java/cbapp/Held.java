package cbapp;

/** A target whose original and replacement both pass {@link Hold}, so a test can hold a thread in either. */
public final class Held {

    private Held() {
    }

    public static String work() {
        Hold.pass();
        return "old";
    }
}
