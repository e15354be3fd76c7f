package transapp;

/** Two methods that a patch must change together: encode calls decode. */
public final class Codec {

    private Codec() {
    }

    public static String encode(String s) {
        Gate.pass();
        return "old-enc(" + decode(s) + ")";
    }

    public static String decode(String s) {
        return "old-dec(" + s + ")";
    }
}
