package app.internal;

final class Pricer {
    static final int UNIT = 250; // cents

    private Pricer() {}

    static int total(int quantity) {
        int net = quantity * UNIT;
        if (quantity >= 10) {
            net = net - net / 10;
        }
        return net;
    }
}
