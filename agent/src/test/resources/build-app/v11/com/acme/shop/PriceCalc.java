package com.acme.shop;

public class PriceCalc {
    private final int discountPercent;

    public PriceCalc(int discountPercent) {
        this.discountPercent = discountPercent;
    }

    public String quote(String order) {
        String[] p = order.split(" ");
        int cents = Integer.parseInt(p[1]) * 100;
        return p[0] + " costs " + cents;
    }

    public String version() {
        return "1.1";
    }
}
