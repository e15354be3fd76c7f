package app.internal;

final class Pricer {
    static final int UNIT = 250; // cents

    private Pricer() {}

    /** BUG: ten or more should be a tenth off; this takes a tenth of the unit price once. */
    static int total(int quantity) {
        int net = quantity * UNIT;
        if (quantity >= 10) {
            net = net - UNIT / 10;
        }
        return net;
    }
}
