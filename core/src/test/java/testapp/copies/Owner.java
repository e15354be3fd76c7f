package testapp.copies;

public class Owner {
    public static String who() {
        return "original";
    }
}
