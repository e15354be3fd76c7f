package com.acme.shop;

import java.util.function.IntUnaryOperator;

public class PriceCalc {
    private final int discountPercent;

    public PriceCalc(int discountPercent) {
        this.discountPercent = discountPercent;
    }

    public String quote(String order) {
        String[] p = order.split(" ");
        int quantity = Integer.parseInt(p[1]);
        if (quantity <= 0) {
            throw new IllegalArgumentException("cannot quote " + quantity + " of " + p[0]);
        }
        IntUnaryOperator discount = c -> c - c * discountPercent / 100;
        int unit;
        switch (p[0]) {
            case "apple":
                unit = 30;
                break;
            case "pear":
                unit = 45;
                break;
            default:
                unit = 100;
        }
        return p[0] + " costs " + format(discount.applyAsInt(unit * quantity));
    }

    static String format(int cents) {
        return cents / 100 + "." + String.format("%02d", cents % 100);
    }

    public String version() {
        return "1.0";
    }
}
