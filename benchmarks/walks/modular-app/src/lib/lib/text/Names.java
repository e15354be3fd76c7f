package lib.text;

public final class Names {
    private Names() {}

    /** A request parameter as the service takes it: trimmed, null as empty. */
    public static String clean(String raw) {
        return raw == null ? "" : raw.strip();
    }
}
