package nextapp;

/** Loaded only after NextTest's patch JAR names it: the patch is resolved by name first. */
public final class LateStatics {

    private LateStatics() {
    }

    public static String shout(String s) {
        return s.toUpperCase(java.util.Locale.ROOT);
    }
}
