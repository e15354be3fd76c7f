package testapp.replace;

/** The atomic-replace tests' target: two functions, one calling the other, and a third alone. */
public class Codec {

    public String encode(String s) {
        return "enc(" + s + ")";
    }

    public String decode(String s) {
        return "dec(" + s + ")";
    }

    /** Calls {@link #decode} on what it encoded: a caller of two patched functions. */
    public String roundTrip(String s) {
        return decode(encode(s));
    }

    public static int version() {
        return 0;
    }
}
