package app.internal;

/** The public face of the package-private Pricer. */
public final class Prices {
    private Prices() {}

    public static int total(int quantity) {
        return Pricer.total(quantity);
    }
}
