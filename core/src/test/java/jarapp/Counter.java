package jarapp;

/** A target of the patch JAR tests. */
public class Counter {
    private int count;

    public int next() {
        return ++count;
    }

    public static String label(int n) {
        return "#" + n;
    }
}
