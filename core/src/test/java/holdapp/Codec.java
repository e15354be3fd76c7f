package holdapp;

/**
 * Version 1 of a pair that must match: what {@code encode} writes only the same version's
 * {@code decode} reads. {@code decode} returns {@code null} for another version's output, so a
 * caller sees a mixed pair instead of a wrong value.
 */
public final class Codec {

    private Codec() {
    }

    public static String encode(String s) {
        return "v1:" + s;
    }

    public static String decode(String e) {
        return e.startsWith("v1:") ? e.substring(3) : null;
    }
}
