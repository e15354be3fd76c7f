package vt;

public final class Codec {
    private Codec() {}

    public static String tag(int x) {
        return "a" + x;
    }
}
