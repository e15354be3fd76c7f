package jarapp;

/**
 * A target of LaterLoaderMembersTest only, which defines copies of it in class loaders of its own:
 * left loaded, they would be other tests' copies of their target.
 */
public class Stamp {
    private int count;

    public int next() {
        return ++count;
    }

    public static String label(int n) {
        return "#" + n;
    }
}
