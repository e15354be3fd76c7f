package testapp.race;

public class Counter {
    public static int value(int x) {
        return x;
    }
}
